import { createHash, randomBytes } from "node:crypto";

/** SHA-256, hex: how one-time tokens (and the mail quota's keys) are stored. */
export const sha256 = (value: string) => createHash("sha256").update(value).digest("hex");

/**
 * A token for a link in an email: 32 random bytes (256 bits), base64url, so it fits a URL as is. Only its hash is
 * stored: someone who reads the database cannot use the links. A fast hash is enough (no argon2id): 256 random
 * bits cannot be guessed from their hash, and a deterministic hash lets the token be looked up directly.
 */
export function newOneTimeToken() {
  const token = randomBytes(32).toString("base64url");
  return { token, hash: sha256(token) };
}

/** How long a verification link works: a day, so a sign-up in the evening can be confirmed the next morning. */
export const VERIFICATION_TOKEN_TTL_MS = 24 * 3_600_000;
/** How long a reset link works: short, since whoever holds it can take the account over. */
export const RESET_TOKEN_TTL_MS = 30 * 60_000;
