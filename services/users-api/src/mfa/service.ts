import { conflict, HttpProblem } from "@accounts/shared";
import type { Mailer } from "../mail/service.ts";
import { totpEnabledMail } from "../mail/templates.ts";
import { orUnavailable } from "../mongodb.ts";
import type { Caller } from "../sessions/schemas.ts";
import type { SessionService } from "../sessions/service.ts";
import type { UsersCollection } from "../users/collection.ts";
import type { StoredMfa } from "./collection.ts";
import type { Presence } from "./presence.ts";
import { newRecoveryCodes } from "./recovery-codes.ts";
import type { RecoveryCodes, TotpConfirmation, TotpEnrolment, TotpEnrolmentRequest } from "./schemas.ts";
import type { SecretBox } from "./secret-box.ts";
import { acceptedStep, newTotpSecret, totpEnrolment } from "./totp.ts";

export const MFA_CODE_PROBLEM = "urn:accounts:problem:mfa-code-invalid";

const alreadyOn = () => conflict("TOTP is already on for this account; turn it off first");

export type MfaService = ReturnType<typeof createMfaService>;

export function createMfaService({
  users,
  box,
  presence,
  sessions,
  mailer,
  issuer,
  now,
}: {
  users: UsersCollection;
  box: SecretBox;
  presence: Presence;
  sessions: Pick<SessionService, "endOthersOnMfaChange">;
  mailer: Mailer;
  /** TOTP_ISSUER. */
  issuer: string;
  /** Milliseconds since the epoch: TOTP's time steps; tests move it. */
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
      const found = await presence.password(caller, email, password, "password", requestId);
      if (found.mfa?.totp) throw alreadyOn();
      const secret = newTotpSecret();
      const { matchedCount } = await orUnavailable(
        users.updateOne(
          { _id: found._id, "mfa.totp": { $exists: false } },
          { $set: { "mfa.pendingTotp": { secret: box.seal(secret, caller.userId), createdAt: new Date(now()) } } },
        ),
      );
      if (matchedCount === 0) throw alreadyOn();
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
      if (found?.mfa?.totp) throw alreadyOn();
      const pending = found?.mfa?.pendingTotp;
      const secret = pending && box.open(pending.secret, caller.userId);
      const step = secret === undefined ? undefined : acceptedStep(secret, code, now());
      if (!pending || step === undefined)
        throw new HttpProblem(400, "The code is not the authenticator's current one; enrol first if you have not", {
          type: MFA_CODE_PROBLEM,
        });
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
      if (matchedCount === 0) throw conflict("The pending secret changed meanwhile; nothing was turned on");
      await sessions.endOthersOnMfaChange(caller);
      mailer.send(totpEnabledMail(email), requestId);
      return { recoveryCodes: codes };
    },
  };
}
