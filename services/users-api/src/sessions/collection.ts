import type { AuthenticationMethods } from "@accounts/shared";

/**
 * Rotated refresh tokens a session remembers, so presenting one of them again is seen as reuse: the stale token of a
 * client whose session a thief refreshed first is one or two rotations old. Each is kept as the first
 * ROTATED_HASH_CHARS of its hash (96 bits: no made-up token matches one by chance). A session is read with its user on
 * every bearer check, and on the dev database a read costs what the whole document weighs: 16 full hashes made a
 * session three times its size without them.
 */
export const ROTATED_HASHES_KEPT = 8;
export const ROTATED_HASH_CHARS = 16;

/**
 * One session, stored in its user's document at `sessions.<session id>`. So one read of the user checks a bearer
 * token's session too, and one conditional write of that document decides what must hold together: a login's
 * session only while the password it checked is still the account's, and a rotation only while the presented token
 * is the current one. (The session id is a UUID: a safe key.)
 */
export interface StoredSession {
  /** SHA-256 (base64url) of the refresh token that works now; the token itself is never stored. */
  refreshHash: string;
  /** How many times the session was refreshed: part of its refresh token, and the slot in `rotatedHashes`. */
  generation: number;
  /** The hash of the token the last refresh rotated, when, and the current token sealed with a key only it gives. */
  previousHash?: string;
  rotatedAt?: Date;
  successorSeal?: string;
  /** The last ROTATED_HASHES_KEPT rotated hashes, shortened, by `g<generation mod ROTATED_HASHES_KEPT>`: a fixed ring. */
  rotatedHashes?: Record<string, string>;
  createdAt: Date;
  lastUsedAt: Date;
  /** SESSION_MAX_AGE_SECONDS after login. */
  absoluteExpiresAt: Date;
  /** SESSION_IDLE_SECONDS after the last login or refresh. */
  idleExpiresAt: Date;
  userAgent: string | null;
  ip: string;
  /** How the login proved it (the access tokens' `amr`); sessions from before second factors lack it: a password. */
  amr?: AuthenticationMethods;
}

/** A user document's sessions, by id. */
export type StoredSessions = Record<string, StoredSession>;
