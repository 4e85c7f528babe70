import type { AuthenticationMethods } from "@accounts/shared";
import type { Types } from "mongoose";
import type { AuditContext } from "../audit/schemas.ts";
import type { AuditService } from "../audit/service.ts";
import type { AuthClient } from "../auth-client/client.ts";
import type { Mailer } from "../mail/service.ts";
import {
  recoveryCodesRegeneratedMail,
  totpDisabledMail,
  totpEnabledMail,
  totpResetByOperatorMail,
} from "../mail/templates.ts";
import { orUnavailable } from "../mongodb.ts";
import type { Caller, SessionGrant } from "../sessions/schemas.ts";
import type { SessionService } from "../sessions/service.ts";
import type { Admission, Throttling } from "../throttling/service.ts";
import type { UsersCollection } from "../users/collection.ts";
import {
  accountDisabled,
  mfaCodeInvalid,
  mfaLoginRefused,
  pendingSecretChanged,
  totpAlreadyOn,
  totpOff,
} from "../problems.ts";
import {
  challengeFilter,
  challengeOpen,
  challengePath,
  MFA_TOKEN_FAILURES,
  MFA_TOKEN_LIFETIME_SECONDS,
  newChallenge,
  parseMfaToken,
} from "./challenge.ts";
import { codeUse } from "./codes.ts";
import type { StoredMfa } from "./collection.ts";
import type { Presence, Proof } from "./presence.ts";
import { newRecoveryCodes, RECOVERY_CODES_LOW } from "./recovery-codes.ts";
import type {
  MfaChallenge,
  MfaLogInRequest,
  RecoveryCodes,
  TotpConfirmation,
  TotpEnrolment,
  TotpEnrolmentRequest,
} from "./schemas.ts";
import type { SecretBox } from "./secret-box.ts";
import { acceptedStep, newTotpSecret, totpEnrolment } from "./totp.ts";

export type MfaService = ReturnType<typeof createMfaService>;

export function createMfaService({
  users,
  box,
  presence,
  sessions,
  throttling,
  auth,
  mailer,
  audit,
  issuer,
  now,
}: {
  users: UsersCollection;
  box: SecretBox;
  presence: Presence;
  sessions: Pick<SessionService, "open" | "endOthersOnMfaChange">;
  throttling: Throttling;
  auth: AuthClient;
  mailer: Mailer;
  audit: Pick<AuditService, "record">;
  /** TOTP_ISSUER. */
  issuer: string;
  /** Milliseconds since the epoch: TOTP's time steps and the mfaTokens' expiry; tests move it. */
  now: () => number;
}) {
  return {
    /**
     * A new secret, pending until a code from it is confirmed: the password first (counted like a login), and only
     * while TOTP is off. Enrolling again replaces a pending secret, so a lost QR code is no dead end.
     */
    async enrol(
      caller: Caller,
      email: string,
      { password }: TotpEnrolmentRequest,
      requestId: string,
    ): Promise<TotpEnrolment> {
      const found = await presence.password(caller, email, password, requestId);
      if (found.mfa?.totp) throw totpAlreadyOn();
      const secret = newTotpSecret();
      const { matchedCount } = await orUnavailable(
        users.updateOne(
          { _id: found._id, "mfa.totp": { $exists: false } },
          { $set: { "mfa.pendingTotp": { secret: box.seal(secret, caller.userId), createdAt: new Date(now()) } } },
        ),
      );
      if (matchedCount === 0) throw totpAlreadyOn();
      return { secret, ...(await totpEnrolment(secret, issuer, email)) };
    },

    /**
     * Turns TOTP on with a code from the pending secret, in one write conditional on that very secret still
     * pending; answers the recovery codes, which are stored only as hashes. Every other session ends, and the
     * address gets a notice.
     */
    async confirm(
      caller: Caller,
      email: string,
      { code }: TotpConfirmation,
      requestId: string,
    ): Promise<RecoveryCodes> {
      const found = await orUnavailable(users.findById(caller.userId, { mfa: 1 }).lean<{ mfa?: StoredMfa }>());
      if (found?.mfa?.totp) throw totpAlreadyOn();
      const pending = found?.mfa?.pendingTotp;
      const secret = pending && box.open(pending.secret, caller.userId);
      const step = secret === undefined ? undefined : acceptedStep(secret, code, now());
      if (!pending || step === undefined) throw mfaCodeInvalid();
      const { codes, hashes } = newRecoveryCodes(caller.userId);
      const { matchedCount } = await orUnavailable(
        users.updateOne(
          { _id: caller.userId, "mfa.pendingTotp.secret": pending.secret, "mfa.totp": { $exists: false } },
          {
            $set: {
              "mfa.totp": { secret: pending.secret, lastStep: step, confirmedAt: new Date(now()) },
              "mfa.recoveryCodes": hashes,
            },
            $unset: { "mfa.pendingTotp": 1 },
          },
        ),
      );
      if (matchedCount === 0) throw pendingSecretChanged();
      await sessions.endOthersOnMfaChange(caller);
      mailer.send(totpEnabledMail(email), requestId);
      return { recoveryCodes: codes };
    },

    /** A new set of recovery codes, voiding the old (presence first, its code used up); a notice to the address. */
    async regenerateRecoveryCodes(
      caller: Caller,
      email: string,
      proof: Proof,
      requestId: string,
    ): Promise<RecoveryCodes> {
      const found = await presence.prove(caller, email, proof, requestId);
      if (!found.mfa?.totp) throw totpOff();
      const { codes, hashes } = newRecoveryCodes(caller.userId);
      const { matchedCount } = await orUnavailable(
        users.updateOne(
          { _id: caller.userId, "mfa.totp": { $exists: true } },
          { $set: { "mfa.recoveryCodes": hashes } },
        ),
      );
      if (matchedCount === 0) throw totpOff();
      mailer.send(recoveryCodesRegeneratedMail(email), requestId);
      return { recoveryCodes: codes };
    },

    /** Turns TOTP off: its secret, recovery codes and waiting logins go; every other session ends; a notice. */
    async disable(caller: Caller, email: string, proof: Proof, requestId: string): Promise<void> {
      const found = await presence.prove(caller, email, proof, requestId);
      if (!found.mfa?.totp) throw totpOff();
      await orUnavailable(users.updateOne({ _id: caller.userId }, { $unset: { mfa: 1 } }));
      await sessions.endOthersOnMfaChange(caller);
      mailer.send(totpDisabledMail(email), requestId);
    },

    /**
     * For an operator (admin/), when the user lost the authenticator and the recovery codes: TOTP off as `disable`
     * turns it off, without the proof; a notice to the address. false when TOTP was off.
     */
    async reset(userId: string, email: string, requestId: string): Promise<boolean> {
      const { matchedCount } = await orUnavailable(
        users.updateOne({ _id: userId, "mfa.totp": { $exists: true } }, { $unset: { mfa: 1 } }),
      );
      if (matchedCount === 1) mailer.send(totpResetByOperatorMail(email), requestId);
      return matchedCount === 1;
    },

    /**
     * A login's first step when TOTP is on and the password (`passwordHash`) was right: a challenge, stored in one
     * write conditional on that hash, and the mfaToken that opens it. undefined when the password changed meanwhile.
     */
    async challenge(
      user: { _id: Types.ObjectId; mfa?: StoredMfa },
      passwordHash: string,
    ): Promise<MfaChallenge | undefined> {
      const { mfaToken, challengeId, challenge, ended } = newChallenge(
        String(user._id),
        passwordHash,
        user.mfa?.challenges ?? {},
        now(),
      );
      const { matchedCount } = await orUnavailable(
        users.updateOne(
          { _id: user._id, passwordHash, "mfa.totp": { $exists: true } },
          {
            $set: { [challengePath(challengeId)]: challenge },
            ...(ended.length > 0 && { $unset: Object.fromEntries(ended.map((id) => [challengePath(id), 1])) }),
          },
          { translateAliases: true },
        ),
      );
      if (matchedCount === 0) return undefined;
      return { mfaRequired: true, mfaToken, expiresIn: MFA_TOKEN_LIFETIME_SECONDS, methods: ["totp", "recoveryCode"] };
    },

    /**
     * A login's second step: the mfaToken's challenge and the code are used in the one write that opens the session
     * (sessions.open), so neither works twice and a password changed since refuses it. A wrong code counts against
     * the token (MFA_TOKEN_FAILURES) and against the account's own count of wrong codes. `deviceToken` is kept or
     * replaced as by a login. Audited once an account's challenge is found: a wrong code, or a success (and the
     * recovery code it used up).
     */
    async completeLogIn(
      { mfaToken, ...code }: MfaLogInRequest,
      context: AuditContext,
      deviceToken: string | undefined,
    ): Promise<SessionGrant & { deviceToken: string; deviceCookieMaxAgeMs: number; recoveryCodesLeft?: number }> {
      const token = parseMfaToken(mfaToken);
      if (!token) throw mfaLoginRefused();
      const path = challengePath(token.challengeId);
      const found = await orUnavailable(
        users.findOne(challengeFilter(token)).select("+password +sessions +mfa").lean(),
      );
      const mfa = found?.mfa;
      const challenge = mfa?.challenges?.[token.challengeId];
      if (!found || !challengeOpen(challenge, now())) throw mfaLoginRefused();
      const { requestId } = context;
      const subject = { userId: token.userId, email: found.email };
      const pass: Admission = await (await throttling.codeAttempt(found.email, { deviceToken })).reserve();
      const use = codeUse(box, token.userId, mfa, code, now());
      if (!use) {
        await orUnavailable(users.updateOne(challengeFilter(token), { $inc: { [`${path}.failures`]: 1 } }));
        audit.record("mfa.failed", context, subject);
        throw mfaLoginRefused();
      }
      // Disabled since the first step: the code was right, so like the first step's right password, 403.
      if (found.disabled) {
        await throttling.forgetFailures(pass);
        throw accountDisabled();
      }
      const sessionId = crypto.randomUUID();
      // A recovery code is a one-time password too (RFC 8176 has nothing closer): `otp` either way.
      const amr: AuthenticationMethods = ["pwd", "otp"];
      const access = await auth
        .issueSessionToken({ userId: token.userId, sessionId, amr }, requestId)
        .catch(async (error) => {
          await pass.release();
          throw error;
        });
      const [session, device] = await Promise.allSettled([
        sessions.open(
          {
            userId: found._id,
            sessionId,
            existing: found.sessions ?? {},
            client: { ip: context.ip, userAgent: context.userAgent },
            verifiedHash: challenge.passwordHash,
            amr,
            alongside: {
              filter: { ...use.filter, ...challengeFilter(token), [`${path}.failures`]: { $lt: MFA_TOKEN_FAILURES } },
              update: { ...use.update, $unset: { [path]: 1 } },
            },
          },
          access,
        ),
        throttling.logInSucceeded(pass),
      ]);
      if (session.status === "rejected" || session.value === undefined) {
        if (!pass.device && device.status === "fulfilled")
          await throttling.endDeviceToken(found.email, device.value.deviceToken);
        throw session.status === "rejected" ? session.reason : mfaLoginRefused();
      }
      if (device.status === "rejected") throw device.reason;
      audit.record("mfa.succeeded", context, subject);
      if ("recoveryCode" in code) audit.record("mfa.recovery_code_used", context, subject);
      return {
        ...session.value,
        deviceToken: device.value.deviceToken,
        deviceCookieMaxAgeMs: device.value.maxAgeMs,
        ...(use.recoveryCodesLeft <= RECOVERY_CODES_LOW && { recoveryCodesLeft: use.recoveryCodesLeft }),
      };
    },
  };
}
