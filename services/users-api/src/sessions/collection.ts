import { Schema, type Connection, type Types } from "mongoose";

/** Rotated refresh-token hashes a session remembers, so presenting one of them again is seen as reuse. */
export const ROTATED_HASHES_KEPT = 16;

/**
 * Live sessions an account keeps: a login past this ends the account's oldest. It bounds what a login reads (every
 * session id its account lists) and what a client that logs in again and again, never logging out, leaves behind;
 * a person's devices and browsers stay far below it.
 */
export const SESSIONS_PER_ACCOUNT = 100;

export interface SessionFields {
  _id: string;
  userId: Types.ObjectId;
  /** SHA-256 (base64url) of the refresh token that works now; the token itself is never stored. */
  refreshHash: string;
  /** How many times the session was refreshed: part of its refresh token, and the slot in `rotatedHashes`. */
  generation: number;
  /** The hash of the token the last refresh rotated, when, and the current token sealed with a key only it gives. */
  previousHash?: string;
  rotatedAt?: Date;
  successorSeal?: string;
  /** The last ROTATED_HASHES_KEPT rotated hashes, by `g<generation mod ROTATED_HASHES_KEPT>`: a ring of fixed size. */
  rotatedHashes?: Record<string, string>;
  createdAt: Date;
  lastUsedAt: Date;
  /** SESSION_MAX_AGE_SECONDS after login. */
  absoluteExpiresAt: Date;
  /** SESSION_IDLE_SECONDS after the last login or refresh. */
  idleExpiresAt: Date;
  userAgent: string | null;
  ip: string;
}

const sessionSchema = new Schema<SessionFields>(
  {
    _id: { type: String, required: true },
    userId: { type: Schema.Types.ObjectId, required: true },
    refreshHash: { type: String, required: true },
    generation: { type: Number, required: true },
    previousHash: String,
    rotatedAt: Date,
    successorSeal: String,
    rotatedHashes: { type: Schema.Types.Mixed },
    createdAt: { type: Date, required: true },
    lastUsedAt: { type: Date, required: true },
    absoluteExpiresAt: { type: Date, required: true },
    idleExpiresAt: { type: Date, required: true },
    userAgent: { type: String, default: null },
    ip: { type: String, required: true },
  },
  { collection: "sessions", versionKey: false },
);

export const sessionsCollection = (db: Connection) => db.model("Session", sessionSchema);
export type SessionsCollection = ReturnType<typeof sessionsCollection>;
