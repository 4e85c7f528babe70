import { mongo } from "mongoose";
import { tokenHash } from "@accounts/users-api/secret-token";
import { callerQuery, newRefreshSecret, refreshTokenOf, rotationQuery } from "@accounts/users-api/sessions/queries";
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
 * inserted here as a login would).
 */
export async function databaseLimits(
  uri: string,
  { userId, sessionId, idleSeconds }: { userId: string; sessionId: string; idleSeconds: number },
) {
  const client = await mongo.MongoClient.connect(uri, { maxPoolSize: 200 });
  const db = client.db();
  const users = db.collection("users");
  const sessions = db.collection<{ _id: string }>("sessions");
  const check = callerQuery({ userId, sessionId });
  return {
    caller: (connections: number, seconds: number): Promise<DatabaseLimitRun> =>
      loop(connections, seconds, async () => {
        if (!(await users.findOne(check.filter, { projection: check.projection })))
          throw new Error("the bench session is gone");
      }),
    async rotation(connections: number, seconds: number): Promise<DatabaseLimitRun> {
      const at = Date.now();
      const tokens = Array.from({ length: connections }, () =>
        refreshTokenOf({ userId, sessionId: crypto.randomUUID(), generation: 0 }, newRefreshSecret()),
      );
      await sessions.insertMany(
        tokens.map((token) => ({
          _id: token.split(".")[1]!,
          userId: new mongo.ObjectId(userId),
          refreshHash: tokenHash(token),
          generation: 0,
          createdAt: new Date(at),
          lastUsedAt: new Date(at),
          absoluteExpiresAt: new Date(at + 3600_000),
          idleExpiresAt: new Date(at + 3600_000),
          userAgent: "bench",
          ip: null,
        })),
      );
      const run = await loop(connections, seconds, async (worker) => {
        const rotation = rotationQuery(tokens[worker]!, Date.now(), idleSeconds);
        if (!(await sessions.findOneAndUpdate(rotation.filter, rotation.update))) throw new Error("rotation lost");
        tokens[worker] = rotation.next;
      });
      await sessions.deleteMany({ _id: { $in: tokens.map((token) => token.split(".")[1]!) } });
      return run;
    },
    close: () => client.close(),
  };
}
