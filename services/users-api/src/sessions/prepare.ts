import type { Connection } from "mongoose";
import { ensureTtlIndex } from "../mongodb.ts";

interface PrepareLog {
  warn(details: object, message: string): void;
}

/**
 * The `sessions` collection's indexes: by user (listing, logout everywhere, deletion) and TTL indexes that let
 * MongoDB delete sessions past either expiry. FerretDB 1.24 does not implement TTL indexes; there expired
 * sessions are refused all the same, and removed when users-api notices them (the user's next login or refresh).
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
}
