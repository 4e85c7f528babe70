import type { Connection } from "mongoose";
import { recordMigration } from "../mongodb.ts";
import { sessionPath } from "./queries.ts";

interface PrepareLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

/**
 * Once per database, moves the sessions of the first layout (a `sessions` collection, listed by id in
 * `users.sessionIds`) into their users' documents: those listed, without `sealedSuccessor`, a seal whose key was
 * the token's SHA-256, which the session stores (a copy of the database opened it); the grace window simply ends
 * for tokens rotated before. Idempotent.
 */
export async function prepareSessions(db: Connection, log: PrepareLog): Promise<void> {
  await recordMigration(db, "sessions.in-users", log, async () => {
    const users = db.collection("users");
    let moved = 0;
    for await (const { _id, userId, sealedSuccessor: _sealed, ...session } of db.collection("sessions").find()) {
      const { modifiedCount } = await users.updateOne(
        { _id: userId, sessionIds: String(_id) },
        { $set: { [sessionPath(String(_id))]: session } },
      );
      moved += modifiedCount;
    }
    await users.updateMany({ sessionIds: { $exists: true } }, { $unset: { sessionIds: 1 } });
    await db.collection("sessions").drop();
    return { moved };
  });
}
