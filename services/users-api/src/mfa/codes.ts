import type { StoredMfa } from "./collection.ts";
import { recoveryCodeHash } from "./recovery-codes.ts";
import type { SecretBox } from "./secret-box.ts";
import { acceptedStep } from "./totp.ts";

/** A code as presented: from the authenticator app, or one of the recovery codes. */
export type PresentedCode = { code: string } | { recoveryCode: string };

/** One field that takes either kind (proof of presence): six digits are a TOTP code, anything else a recovery code. */
export const presentedCode = (code: string): PresentedCode =>
  /^\d{6}$/.test(code) ? { code } : { recoveryCode: code };

/**
 * What using a right code changes, as the parts of one conditional write of the user's document, so of two uses of
 * one code exactly one matches: a TOTP step is accepted only past the last one used (the secret, sealed under a key
 * MFA_ENCRYPTION_KEY replaced, is sealed again under the current one); a recovery code only while its hash is listed,
 * and it is pulled. undefined for a wrong or used code, or when TOTP is off.
 */
export function codeUse(box: SecretBox, userId: string, mfa: StoredMfa | undefined, code: PresentedCode, at: number) {
  const totp = mfa?.totp;
  if (!totp) return undefined;
  const recoveryCodes = mfa.recoveryCodes ?? [];
  if ("code" in code) {
    const secret = box.open(totp.secret, userId);
    const step = secret === undefined ? undefined : acceptedStep(secret, code.code, at, totp.lastStep);
    if (step === undefined) return undefined;
    return {
      filter: { "mfa.totp.secret": totp.secret, "mfa.totp.lastStep": { $lt: step } },
      update: {
        $set: {
          "mfa.totp.lastStep": step,
          ...(!box.isCurrent(totp.secret) && { "mfa.totp.secret": box.seal(secret!, userId) }),
        },
      },
      recoveryCodesLeft: recoveryCodes.length,
    };
  }
  const hash = recoveryCodeHash(userId, code.recoveryCode);
  if (!recoveryCodes.includes(hash)) return undefined;
  return {
    filter: { "mfa.recoveryCodes": hash },
    update: { $pull: { "mfa.recoveryCodes": hash } },
    recoveryCodesLeft: recoveryCodes.length - 1,
  };
}
