import { conflict, HttpProblem, unauthorized } from "@accounts/shared";

/*
 * Every problem type users-api answers with and the messages more than one route gives, in one place (as Better
 * Auth's error-code.ts): a client matches on `type`, so a type is written once and imported where it is thrown and
 * where the OpenAPI text names it. The internal credential's type is the services' contract (`@accounts/shared`).
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

/** The 429 of every throttled attempt; `Retry-After` says how long. */
export const TOO_MANY_ATTEMPTS = "Too many attempts; try again after the number of seconds in Retry-After";

/** A wrong password and an unknown address get the same 401: the answer tells no one which addresses have accounts. */
export const wrongPassword = () => unauthorized("Wrong email or password");

/** A missing, malformed or expired token, a deleted user or an ended session: one 401. */
export const invalidBearer = () => unauthorized("Missing, invalid or expired bearer token");

/** Only after the password (and a second step's code) proved right: a wrong one still gets the ordinary 401. */
export const accountDisabled = () =>
  new HttpProblem(403, "This account is disabled; contact support", { type: ACCOUNT_DISABLED_PROBLEM });

export const emailNotVerified = () =>
  new HttpProblem(403, "Confirm your email address first: follow the link we sent, or ask for a new one", {
    type: EMAIL_NOT_VERIFIED_PROBLEM,
  });

/** Turning TOTP off, or an operator clearing it, on an account where it is not on. */
export const totpOff = () => conflict("TOTP is off for this account");

export const verificationTokenInvalid = () =>
  new HttpProblem(400, "This verification link is used, expired or unknown; ask for a new one", {
    type: VERIFICATION_TOKEN_PROBLEM,
  });

export const resetTokenInvalid = () =>
  new HttpProblem(400, "This reset link is used, expired or replaced by a newer one; ask for a new one", {
    type: RESET_TOKEN_PROBLEM,
  });

export const emailChangeTokenInvalid = () =>
  new HttpProblem(400, "This link is used, expired or replaced by a newer one", { type: EMAIL_CHANGE_TOKEN_PROBLEM });

export const mfaCodeInvalid = () =>
  new HttpProblem(400, "The code is not the authenticator's current one; enrol first if you have not", {
    type: MFA_CODE_PROBLEM,
  });
