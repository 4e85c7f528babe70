import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

/** A key's id: the first 8 characters of its SHA-256, stored with each value it sealed, so rotation needs no lookup table. */
const keyId = (key: Buffer) => createHash("sha256").update(key).digest("base64url").slice(0, 8);

/** The GCM nonce (96 bits, random per value) and tag lengths. */
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Secrets users-api must read back (TOTP secrets), sealed with AES-256-GCM under MFA_ENCRYPTION_KEY: a copy of the
 * database without the key opens none. A sealed value is `<key id>.<iv, ciphertext and tag in base64url>`; the
 * user's id is the additional data, so a sealed secret copied onto another account does not open there. Keys in
 * `previous` (MFA_PREVIOUS_ENCRYPTION_KEYS) still open what they sealed, and `isCurrent` tells what to seal again.
 */
export function createSecretBox({ current, previous = [] }: { current: Buffer; previous?: readonly Buffer[] }) {
  const keys = new Map([current, ...previous].map((key) => [keyId(key), key]));
  const currentId = keyId(current);
  return {
    seal(plain: string, owner: string): string {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", current, iv).setAAD(Buffer.from(owner));
      const sealed = Buffer.concat([iv, cipher.update(plain, "utf8"), cipher.final(), cipher.getAuthTag()]);
      return `${currentId}.${sealed.toString("base64url")}`;
    },

    /** The plain value, or undefined when no key of ours sealed it for `owner` or it was changed since. */
    open(sealed: string, owner: string): string | undefined {
      const [id, body] = sealed.split(".");
      const key = id === undefined ? undefined : keys.get(id);
      const bytes = Buffer.from(body ?? "", "base64url");
      if (!key || bytes.length < IV_BYTES + TAG_BYTES) return undefined;
      const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(0, IV_BYTES)).setAAD(Buffer.from(owner));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      try {
        return Buffer.concat([
          decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
          decipher.final(),
        ]).toString("utf8");
      } catch {
        return undefined;
      }
    },

    /** Whether `sealed` is under the current key; one under a previous key is sealed again when next used. */
    isCurrent: (sealed: string) => sealed.startsWith(`${currentId}.`),
  };
}

export type SecretBox = ReturnType<typeof createSecretBox>;
