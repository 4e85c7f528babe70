import type { Connection } from "mongoose";
import { ensureTtlIndex, recordMigration } from "../mongodb.ts";

interface PrepareLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

/**
 * The `sessions` collection's indexes: by user (listing, logout everywhere, deletion) and TTL indexes that let
 * MongoDB delete sessions past either expiry. FerretDB 1.24 does not implement TTL indexes; there expired
 * sessions are refused all the same, and removed when users-api notices them (the user's next login or refresh).
 *
 * Once per database, it also deletes every `sealedSuccessor`: the first scheme keyed their seal by the token's
 * SHA-256, which the session stores, so a copy of the database opened them. The grace window simply ends for
 * tokens rotated before; rotations seal into `successorSeal` with a key nothing stored yields (queries.ts).
 */
export async function prepareSessionsCollection(db: Connection, log: PrepareLog): Promise<void> {
  const sessions = db.collection("sessions");
  await sessions.createIndex({ userId: 1 }, { name: "userId_1" });
  const withTtl = [
    await ensureTtlIndex(db, "sessions", "absoluteExpiresAt"),
    await ensureTtlIndex(db, "sessions", "idleExpiresAt"),
  ];
  if (withTtl.includes(false))
    log.warn(
      { collection: "sessions" },
      "TTL indexes are not supported by this database; expired sessions are removed when noticed",
    );
  await recordMigration(db, "sessions.drop-unsafe-successor-seals", log, async () => {
    const { modifiedCount } = await sessions.updateMany(
      { sealedSuccessor: { $exists: true } },
      { $unset: { sealedSuccessor: 1 as const } },
    );
    return { cleared: modifiedCount };
  });
}
