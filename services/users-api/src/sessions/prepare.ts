import type { Connection } from "mongoose";

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
  try {
    for (const field of ["absoluteExpiresAt", "idleExpiresAt"])
      await sessions.createIndex({ [field]: 1 }, { name: `${field}_ttl`, expireAfterSeconds: 0 });
  } catch (error) {
    if (!isNotImplemented(error)) throw error;
    log.warn(
      { collection: "sessions" },
      "TTL indexes are not supported by this database; expired sessions are removed when noticed",
    );
  }
}

// What FerretDB answers for an index option it lacks: `NotImplemented` (code 238).
const isNotImplemented = (error: unknown) =>
  typeof error === "object" && error !== null && "code" in error && error.code === 238;
