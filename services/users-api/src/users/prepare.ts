import type { Connection } from "mongoose";
import { isDuplicateKey, recordMigration } from "../mongodb.ts";
import { normalizeEmail } from "./email.ts";

interface MigrationLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

/**
 * Brings the `users` collection to the shape the service relies on, before it takes requests:
 *
 * 1. Once per database, lower-cases and trims the addresses the seed's Express services stored
 *    as typed, so those users are found by the normalized address they log in with. Addresses that
 *    collide after normalizing (the seed's racy sign-up let duplicates in) keep the oldest document
 *    in `users` (the first sign-up) and move the others, whole, to `users_conflicts` for an operator:
 *    nothing is deleted, and the unique index below can be built.
 * 2. Builds the unique index on `email` that makes concurrent duplicate sign-ups fail atomically.
 *
 * Safe to run from several replicas at once: every step is idempotent.
 */
export async function prepareUsersCollection(db: Connection, log: MigrationLog): Promise<void> {
  await recordMigration(db, "users.normalize-emails", log, async () => {
    const { normalized, conflicts } = await normalizeLegacyEmails(db);
    if (conflicts.length > 0)
      log.warn(
        { migration: "users.normalize-emails", movedToUsersConflicts: conflicts },
        "users whose address collided with an older account after normalizing were moved to users_conflicts",
      );
    return { normalized };
  });
  await db.collection("users").createIndex({ email: 1 }, { unique: true, name: "email_1" });
}

async function normalizeLegacyEmails(db: Connection) {
  const users = db.collection("users");
  const conflictsCollection = db.collection("users_conflicts");
  const seen = new Set<string>();
  const conflicts: string[] = [];
  let normalized = 0;
  for await (const { _id, email } of users.find({}, { projection: { email: 1 }, sort: { _id: 1 } })) {
    if (typeof email !== "string") continue;
    const canonical = normalizeEmail(email);
    if (seen.has(canonical)) {
      const document = await users.findOne({ _id });
      if (document) await conflictsCollection.insertOne(document).catch(ignoreDuplicateKey);
      await users.deleteOne({ _id });
      conflicts.push(String(_id));
      continue;
    }
    seen.add(canonical);
    if (canonical !== email) {
      await users.updateOne({ _id }, { $set: { email: canonical } });
      normalized++;
    }
  }
  return { normalized, conflicts };
}

function ignoreDuplicateKey(error: unknown) {
  if (!isDuplicateKey(error)) throw error;
}
