import { mongo } from "mongoose";
import { callerQuery, newSession, rotationQuery } from "@accounts/users-api/sessions/queries";
import { watchForeignCpu } from "./cpu.ts";

/** The database's own rate for the work behind one route, with no HTTP around it. */
export interface DatabaseLimitRun {
  connections: number;
  perSecond: number;
  /** Share of all cores that processes outside the benchmark used meanwhile. */
  foreignCpu: number;
}

/** `connections` loops, each sending `operation` again as soon as its previous answer arrives, for `seconds`. */
async function loop(connections: number, seconds: number, operation: (worker: number) => Promise<unknown>) {
  const foreignCpu = watchForeignCpu();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: connections }, async (_, worker) => {
      while (performance.now() < deadline) {
        await operation(worker);
        done++;
      }
    }),
  );
  return { connections, perSecond: done / ((performance.now() - started) / 1000), foreignCpu: foreignCpu() };
}

/**
 * With the mongodb driver (mongoose's own), the queries users-api sends: GET /user's bearer check (one read of the
 * user by `_id` and session id) and a refresh's conditional rotation (each loop rotating a session chain of its own,
 * in a user of its own, inserted here as a login stores it).
 */
export async function databaseLimits(
  uri: string,
  { userId, sessionId, idleSeconds }: { userId: string; sessionId: string; idleSeconds: number },
) {
  const client = await mongo.MongoClient.connect(uri, { maxPoolSize: 200 });
  const db = client.db();
  const users = db.collection("users");
  const check = callerQuery({ userId, sessionId });
  return {
    caller: (connections: number, seconds: number): Promise<DatabaseLimitRun> =>
      loop(connections, seconds, async () => {
        if (!(await users.findOne(check.filter, { projection: check.projection })))
          throw new Error("the bench session is gone");
      }),
    async rotation(connections: number, seconds: number): Promise<DatabaseLimitRun> {
      const at = Date.now();
      // Each loop rotates a session of a user of its own, as the route's chains belong to many accounts: one document
      // for all of them would measure their contention for it, not the update.
      const ids = Array.from({ length: connections }, () => new mongo.ObjectId());
      const opened = ids.map((_id) =>
        newSession(
          { userId: String(_id), sessionId: crypto.randomUUID(), userAgent: "bench", ip: "bench", amr: ["pwd"] },
          { at, maxAgeSeconds: 3600, idleSeconds: 3600 },
        ),
      );
      const tokens = opened.map(({ refreshToken }) => refreshToken);
      await users.insertMany(
        ids.map((_id, worker) => ({
          _id,
          email: `bench-rotation-${_id}@example.com`,
          password: "unused",
          createdAt: new Date(at),
          sessions: { [tokens[worker]!.split(".")[1]!]: opened[worker]!.session },
        })),
      );
      try {
        return await loop(connections, seconds, async (worker) => {
          const rotation = rotationQuery(tokens[worker]!, Date.now(), idleSeconds);
          if (!(await users.findOneAndUpdate(rotation.filter, rotation.update, { projection: rotation.projection })))
            throw new Error("rotation lost");
          tokens[worker] = rotation.next;
        });
      } finally {
        await users.deleteMany({ _id: { $in: ids } });
      }
    },
    close: () => client.close(),
  };
}
