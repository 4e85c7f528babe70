import type { StoredMfa } from "./collection.ts";
import type { MfaStatus } from "./schemas.ts";

/** What `GET /user` reads of the second factor (sessions/queries.ts's callerQuery projects just this). */
export const MFA_STATUS_PROJECTION = { "mfa.totp.confirmedAt": 1, "mfa.recoveryCodes": 1 } as const;

export const mfaStatus = (mfa: Pick<StoredMfa, "totp" | "recoveryCodes"> | undefined): MfaStatus => ({
  totp: mfa?.totp !== undefined,
  recoveryCodesLeft: mfa?.totp ? (mfa.recoveryCodes?.length ?? 0) : 0,
});
