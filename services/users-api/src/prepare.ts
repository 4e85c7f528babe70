import type { Connection } from "mongoose";
import { prepareAuditEvents } from "./audit/collection.ts";
import { prepareExpiringCollections } from "./expiring-collections.ts";
import { prepareSessions } from "./sessions/prepare.ts";
import { prepareThrottlingCollections } from "./throttling/collection.ts";
import { prepareUsersCollection } from "./users/prepare.ts";

interface PrepareLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

/**
 * Brings every collection users-api stores to the shape its services rely on (migrations, then indexes), before it
 * takes requests: `index.ts` and every test that starts users-api call this, so none prepares a subset. Each feature
 * owns its preparation (next to its collection); this only orders them: users first (the sessions migration writes
 * into users' documents). Idempotent, and safe from several replicas at once.
 */
export async function prepareDatabase(db: Connection, log: PrepareLog): Promise<void> {
  await prepareUsersCollection(db, log);
  await prepareThrottlingCollections(db, log);
  await prepareSessions(db, log);
  await prepareExpiringCollections(db, log);
  await prepareAuditEvents(db);
}
