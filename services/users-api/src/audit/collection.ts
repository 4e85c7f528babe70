import { type Connection, Schema, type Types } from "mongoose";
import type { AuditActor, AuditEventType } from "./schemas.ts";

export const auditEventsCollectionName = "audit_events";

export interface StoredAuditEvent {
  _id: Types.ObjectId;
  type: AuditEventType;
  at: Date;
  userId?: Types.ObjectId;
  email?: string;
  actor: AuditActor;
  ip: string;
  userAgent: string | null;
  requestId: string;
  /** `at` plus AUDIT_RETENTION_DAYS: the TTL index deletes the event then (MongoDB; FerretDB 1.24 keeps it). */
  expiresAt: Date;
}

const auditEventSchema = new Schema<StoredAuditEvent>(
  {
    type: { type: String, required: true },
    at: { type: Date, required: true },
    userId: { type: Schema.Types.ObjectId },
    email: { type: String },
    actor: { type: String, required: true },
    ip: { type: String, required: true },
    userAgent: { type: String, default: null },
    requestId: { type: String, required: true },
    expiresAt: { type: Date, required: true },
  },
  { versionKey: false },
);

export const auditEventsCollection = (db: Connection) =>
  db.model("AuditEvent", auditEventSchema, auditEventsCollectionName);
export type AuditEventsCollection = ReturnType<typeof auditEventsCollection>;

/**
 * The indexes `list` pages through, newest first, with `_id` breaking ties of one millisecond: a user's events (GET
 * /user/security-events), one type's, and all. The TTL index is made with the other expiring collections'. Idempotent.
 */
export async function prepareAuditEvents(db: Connection): Promise<void> {
  const events = db.collection(auditEventsCollectionName);
  await events.createIndex({ userId: 1, at: -1, _id: -1 }, { name: "userId_1_at_-1__id_-1" });
  await events.createIndex({ type: 1, at: -1, _id: -1 }, { name: "type_1_at_-1__id_-1" });
  await events.createIndex({ at: -1, _id: -1 }, { name: "at_-1__id_-1" });
}
