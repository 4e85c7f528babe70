import { createHash, randomBytes } from "node:crypto";

/**
 * SHA-256, base64url: the one form every secret token users-api hands out (refresh tokens, device tokens, the
 * links in emails) is stored and looked up in, and the mail quota's keys. A fast hash is enough (no argon2id):
 * 256 random bits cannot be guessed from their hash, and a deterministic hash lets a token be found directly.
 */
export const tokenHash = (value: string) => createHash("sha256").update(value).digest("base64url");

/** A new secret token, 32 random bytes (256 bits) in base64url so it fits a URL or a cookie as is, and its hash. */
export function newSecretToken() {
  const token = randomBytes(32).toString("base64url");
  return { token, hash: tokenHash(token) };
}
