import { createHmac, randomBytes } from "node:crypto";
import type { AuthenticationMethods } from "@accounts/shared";
import { Types } from "mongoose";
import { MFA_STATUS_PROJECTION } from "../mfa/status.ts";
import { tokenHash } from "../secret-token.ts";
import { ROTATED_HASH_CHARS, ROTATED_HASHES_KEPT, type StoredSession } from "./collection.ts";

// The database queries on the hot paths, as plain driver values, so the benchmark can send exactly these
// without HTTP around them and compare (bench/src/database-limit.ts).

/** Where a session is stored in its user's document. */
export const sessionPath = (sessionId: string) => `sessions.${sessionId}`;

/** The part of a `users` filter that holds while the user still has the session. */
export const hasSession = (sessionId: string) => ({ [sessionPath(sessionId)]: { $exists: true } });

/** The `users` query behind every bearer token: its user exists and still has its session. One read by `_id`. */
export const callerQuery = ({ userId, sessionId }: { userId: string; sessionId: string }) => ({
  filter: { _id: new Types.ObjectId(userId), ...hasSession(sessionId) },
  projection: { email: 1, createdAt: 1, emailVerified: 1, ...MFA_STATUS_PROJECTION },
});

/** A session as a login stores it, with its first refresh token (generation 0). */
export function newSession(
  {
    userId,
    sessionId,
    userAgent,
    ip,
    amr,
  }: { userId: string; sessionId: string; userAgent: string | null; ip: string; amr: AuthenticationMethods },
  { at, maxAgeSeconds, idleSeconds }: { at: number; maxAgeSeconds: number; idleSeconds: number },
): { refreshToken: string; session: StoredSession } {
  const refreshToken = refreshTokenOf({ userId, sessionId, generation: 0 }, newRefreshSecret());
  return {
    refreshToken,
    session: {
      refreshHash: tokenHash(refreshToken),
      generation: 0,
      createdAt: new Date(at),
      lastUsedAt: new Date(at),
      absoluteExpiresAt: new Date(at + maxAgeSeconds * 1000),
      idleExpiresAt: new Date(at + idleSeconds * 1000),
      userAgent,
      ip,
      amr,
    },
  };
}

/**
 * Refresh tokens are `<userId>.<sessionId>.<generation>.<secret>`: the secret is 256 random bits, the rest
 * locates the session (so a lookup is by `_id`) and its slot for the rotated hash. Opaque to clients.
 */
const REFRESH_TOKEN = /^([0-9a-f]{24})\.([0-9a-f-]{36})\.(\d{1,9})\.([\w-]{43})$/;

export interface RefreshTokenParts {
  userId: string;
  sessionId: string;
  generation: number;
}

export const parseRefreshToken = (token: string): RefreshTokenParts | undefined => {
  const match = REFRESH_TOKEN.exec(token);
  return match ? { userId: match[1]!, sessionId: match[2]!, generation: Number(match[3]) } : undefined;
};

export const refreshTokenOf = ({ userId, sessionId, generation }: RefreshTokenParts, secret: Buffer) =>
  `${userId}.${sessionId}.${generation}.${secret.toString("base64url")}`;

export const newRefreshSecret = () => randomBytes(32);

// A token's successor is stored sealed (XOR) with a key derived from the token itself, which the database only
// holds as a hash: the holder of the just-rotated token can have the current one back within the grace window
// (two tabs), and a copy of the database opens nothing. No server-side secret is involved. The token is HMAC's
// message under a fixed label, never its key: a key longer than SHA-256's block is first replaced by its SHA-256,
// which is the stored hash (the flaw of the first version), and SHA256(token ‖ label) could be length-extended.
const SUCCESSOR_LABEL = "accounts/refresh-token-successor/v2";
const successorKey = (token: string) => createHmac("sha256", SUCCESSOR_LABEL).update(token).digest();
const xor = (a: Buffer, b: Buffer) => Buffer.from(a.map((byte, i) => byte ^ b[i]!));

export const sealSuccessor = (token: string, successorSecret: Buffer) =>
  xor(successorSecret, successorKey(token)).toString("base64url");
export const unsealSuccessor = (token: string, sealed: string) =>
  xor(Buffer.from(sealed, "base64url"), successorKey(token));

/**
 * The one conditional update of the user document that rotates `token` to its successor: it matches only while
 * `token` is the session's current, unexpired refresh token, so of concurrent refreshes of one token exactly one wins.
 */
export function rotationQuery(token: string, at: number, idleSeconds: number) {
  const parts = parseRefreshToken(token)!;
  const secret = newRefreshSecret();
  const next = refreshTokenOf({ ...parts, generation: parts.generation + 1 }, secret);
  const presented = tokenHash(token);
  const now = new Date(at);
  const field = `${sessionPath(parts.sessionId)}.`;
  return {
    next,
    /** What the rotation answers: the session alone (FerretDB, as tools/ferretdb patches it, honours it too). */
    projection: { [sessionPath(parts.sessionId)]: 1 },
    filter: {
      _id: new Types.ObjectId(parts.userId),
      [`${field}refreshHash`]: presented,
      [`${field}absoluteExpiresAt`]: { $gt: now },
      [`${field}idleExpiresAt`]: { $gt: now },
    },
    update: {
      $set: {
        [`${field}refreshHash`]: tokenHash(next),
        [`${field}generation`]: parts.generation + 1,
        [`${field}previousHash`]: presented,
        [`${field}rotatedAt`]: now,
        [`${field}successorSeal`]: sealSuccessor(token, secret),
        [`${field}lastUsedAt`]: now,
        [`${field}idleExpiresAt`]: new Date(at + idleSeconds * 1000),
        [`${field}rotatedHashes.g${parts.generation % ROTATED_HASHES_KEPT}`]: presented.slice(0, ROTATED_HASH_CHARS),
      },
    },
  };
}
