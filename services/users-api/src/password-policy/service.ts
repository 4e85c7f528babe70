import { commonPassword, passwordContainsEmailName } from "../problems.ts";

/**
 * Local parts shorter than this are not looked for in passwords: `a@example.com` would otherwise refuse every
 * password with an "a" in it. Three characters ("ada") is where the match starts to mean "made from the address".
 */
export const MIN_LOCAL_PART_LENGTH = 3;

export type PasswordPolicy = ReturnType<typeof createPasswordPolicy>;

/**
 * NIST SP 800-63B §3.1.1.2 for new passwords (sign-up, change, reset), beyond the length rule the schemas enforce:
 * not a commonly used or breached password, and not made from the account's address. Compared lower-cased, since
 * attackers try the case variants of a list's entries first. Login never applies it: older passwords still work.
 */
export function createPasswordPolicy(commonPasswords: ReadonlySet<string>) {
  return {
    /** Throws a 422 naming `field` when `password` may not be used by the account `email`. */
    check(password: string, email: string, field: string): void {
      const lowered = password.toLowerCase();
      if (commonPasswords.has(lowered)) throw commonPassword(field);
      const localPart = email.slice(0, email.lastIndexOf("@")).toLowerCase();
      if (localPart.length >= MIN_LOCAL_PART_LENGTH && lowered.includes(localPart))
        throw passwordContainsEmailName(field);
    },
  };
}
