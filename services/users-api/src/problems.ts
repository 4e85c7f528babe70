import { conflict, forbidden, HttpProblem, type Problem, serviceUnavailable, unauthorized } from "@accounts/shared";

/*
 * Every problem users-api answers with, its type and its message, in one place (as Better Auth's error-code.ts): a
 * client matches on `type` and a person reads `detail`, so each is written once and imported where it is thrown and
 * where the OpenAPI text names it. The internal credential's type is the services' contract (`@accounts/shared`);
 * invalid input that a schema catches is the shared error handler's (`@accounts/shared`'s errors.ts).
 */

/** The 403 a right password gets while an operator has disabled the account. */
export const ACCOUNT_DISABLED_PROBLEM = "urn:accounts:problem:account-disabled";
/** The 403 a correct login gets while REQUIRE_VERIFIED_EMAIL is on and the address is not verified. */
export const EMAIL_NOT_VERIFIED_PROBLEM = "urn:accounts:problem:email-not-verified";
/** A verification link that is used, expired or unknown. */
export const VERIFICATION_TOKEN_PROBLEM = "urn:accounts:problem:verification-token-invalid";
/** A reset link that is used, expired, voided by a newer one, or unknown. */
export const RESET_TOKEN_PROBLEM = "urn:accounts:problem:reset-token-invalid";
/** A confirmation or undo link that is used, expired, voided by a newer one, or unknown. */
export const EMAIL_CHANGE_TOKEN_PROBLEM = "urn:accounts:problem:email-change-token-invalid";
/** A second factor's code that is not the authenticator's current one, or with nothing pending. */
export const MFA_CODE_PROBLEM = "urn:accounts:problem:mfa-code-invalid";

/** A 422 naming one field and why, shaped like the shared error handler's for a schema's, without the value. */
class InvalidField extends HttpProblem {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(422, "Request body is invalid");
  }

  override toProblem(): Problem {
    return { ...super.toProblem(), errors: [{ field: this.field, pointer: `#/${this.field}`, message: this.reason }] };
  }
}

// Dependencies: the database and auth-api.

/** No answer within DATABASE_OPERATION_TIMEOUT_MS. */
export const databaseTimedOut = () => serviceUnavailable("The database did not answer in time; try again shortly", 1);

export const databaseUnavailable = () => serviceUnavailable("The database is unavailable; try again shortly", 1);

/** auth-api did not answer in time, refused us, or answered nonsense: our caller gets 503. `reason` is for logs. */
export class AuthUnavailableError extends HttpProblem {
  constructor(
    readonly reason: string,
    retryAfterSeconds = 1,
  ) {
    super(503, "The authentication service is unavailable; try again shortly", { retryAfterSeconds });
  }
}

// Throttling.

const TOO_MANY_ATTEMPTS = "Too many attempts; try again after the number of seconds in Retry-After";

/** The 429 of every throttled attempt; `Retry-After` says how long. */
export const tooManyAttempts = (retryAfterSeconds: number) =>
  new HttpProblem(429, TOO_MANY_ATTEMPTS, { retryAfterSeconds });

/**
 * A 429 because a count of failures (`rule`: the account's, a device token's, the account's wrong codes) still has a
 * wait to run since its last failure: that instant names the wait, so its refusals can be told from the next wait's.
 */
export class WaitRefused extends HttpProblem {
  constructor(
    retryAfterSeconds: number,
    readonly rule: string,
    readonly lastFailureAt: Date,
  ) {
    super(429, TOO_MANY_ATTEMPTS, { retryAfterSeconds });
  }
}

// Sign-up, login and the account.

/** The unique index refused a sign-up's address. */
export const emailTaken = () => conflict("An account with this email already exists");

/** A wrong password and an unknown address get the same 401: the answer tells no one which addresses have accounts. */
export const wrongPassword = () => unauthorized("Wrong email or password");

/** Only after the password (and a second step's code) proved right: a wrong one still gets the ordinary 401. */
export const accountDisabled = () =>
  new HttpProblem(403, "This account is disabled; contact support", { type: ACCOUNT_DISABLED_PROBLEM });

export const emailNotVerified = () =>
  new HttpProblem(403, "Confirm your email address first: follow the link we sent, or ask for a new one", {
    type: EMAIL_NOT_VERIFIED_PROBLEM,
  });

export const passwordRequiredToDelete = () => forbidden("password is required to delete the account");

// Sessions.

/** A missing, malformed or expired token, a deleted user or an ended session: one 401. */
export const invalidBearer = () => unauthorized("Missing, invalid or expired bearer token");

/** One answer for every refused refresh token: unknown, expired, revoked and reused look alike. */
export const refreshTokenRefused = () => unauthorized("Invalid, expired or revoked refresh token");

/** Another user's session id gets the same 404 as a made-up one. */
export const sessionNotFound = () => new HttpProblem(404, "No such session of yours");

// Passwords: the policy for new ones, change and reset.

export const commonPassword = (field: string) =>
  new InvalidField(field, "This password is on a list of common or breached passwords; choose another");

export const passwordContainsEmailName = (field: string) =>
  new InvalidField(field, "The password must not contain the name part of your email address");

/** The conditional update found neither the hash just checked nor the caller's session. */
export const passwordChangedMeanwhile = () =>
  conflict("The password or this session changed meanwhile; nothing was changed");

export const resetTokenInvalid = () =>
  new HttpProblem(400, "This reset link is used, expired or replaced by a newer one; ask for a new one", {
    type: RESET_TOKEN_PROBLEM,
  });

// Email verification.

export const emailAlreadyVerified = () => conflict("This email address is verified already");

/** One verification mail a minute per account. */
export const verificationMailTooSoon = (retryAfterSeconds: number) =>
  new HttpProblem(429, "A verification email was sent less than a minute ago; wait for it", { retryAfterSeconds });

export const verificationTokenInvalid = () =>
  new HttpProblem(400, "This verification link is used, expired or unknown; ask for a new one", {
    type: VERIFICATION_TOKEN_PROBLEM,
  });

// Email change and its undo.

export const sameAddress = () => new InvalidField("newEmail", "This is the account's address already");

export const passwordRequiredToChangeEmail = () => forbidden("password is required to change the email address");

/** While the last change can still be undone, no other: the undo link the old address got must still match. */
export const lastChangeUndoable = () =>
  conflict("The last address change can still be undone; try again once that link expires");

/** Confirming a change, when the unique index finds another account has the new address by now. */
export const addressTakenMeanwhile = () => conflict("Another account has this address now; nothing was changed");

export const emailChangeTokenInvalid = () =>
  new HttpProblem(400, "This link is used, expired or replaced by a newer one", { type: EMAIL_CHANGE_TOKEN_PROBLEM });

// The second factor.

/** The password that proves presence (`field`: `password`, or `currentPassword` for a password change) is wrong. */
export const notThisPassword = (field: string) => forbidden(`${field} is not this account's password`);

export const codeRequired = () => forbidden("code is required: TOTP is on for this account");

export const wrongCode = () => forbidden("code is not the authenticator's current code nor an unused recovery code");

/** A login's second step refused: a wrong or used code, and an unknown, expired, dead or used mfaToken alike. */
export const mfaLoginRefused = () => unauthorized("Invalid, expired or used mfaToken, or a wrong code");

export const totpAlreadyOn = () => conflict("TOTP is already on for this account; turn it off first");

/** Turning TOTP off, or an operator clearing it, on an account where it is not on. */
export const totpOff = () => conflict("TOTP is off for this account");

/** Confirming enrolment, when the pending secret the code was checked against is no longer the one stored. */
export const pendingSecretChanged = () => conflict("The pending secret changed meanwhile; nothing was turned on");

export const mfaCodeInvalid = () =>
  new HttpProblem(400, "The code is not the authenticator's current one; enrol first if you have not", {
    type: MFA_CODE_PROBLEM,
  });

// The admin listener.

export const invalidAdminToken = () => unauthorized("Missing or invalid admin token");

export const noSuchUser = () => new HttpProblem(404, "No user has this id");
