import { type mongo, Types } from "mongoose";
import { UsersConfigSchema } from "./config.ts";
import type { StoredSessions } from "./sessions/collection.ts";
import { newSession } from "./sessions/queries.ts";
import { storedUser, usersCollectionName } from "./users/collection.ts";

export interface SeedAccountsPlan {
  count: number;
  /** The address of account `i`. */
  emailOf: (i: number) => string;
  /** One hash every account shares: hashing each would cost count × a hash of CPU and seed nothing more real. */
  passwordHash: string;
  sessionsPerAccount: number;
  /** The address account `i`'s sessions were opened from. */
  ipOf: (i: number) => string;
  /** When the accounts were created and their sessions opened (ms since the epoch): the caller's clock. */
  at: number;
}

const batchSize = 1000;

const sessionLifetimes = {
  maxAgeSeconds: Number(UsersConfigSchema.properties.SESSION_MAX_AGE_SECONDS.default),
  idleSeconds: Number(UsersConfigSchema.properties.SESSION_IDLE_SECONDS.default),
};

/**
 * Inserts `count` accounts in bulk, not through the API (for the bench's growth phase): each stored as sign-up stores
 * a user (`storedUser`) holding `sessionsPerAccount` sessions as a login opens them (`newSession`, with the default
 * lifetimes), their refresh tokens thrown away. `remove` deletes them again, with every session opened since.
 */
export async function seedAccounts(
  db: mongo.Db,
  { count, emailOf, passwordHash, sessionsPerAccount, ipOf, at }: SeedAccountsPlan,
) {
  const users = db.collection(usersCollectionName);
  const batches: Types.ObjectId[][] = [];
  for (let start = 0; start < count; start += batchSize) {
    const ids = Array.from({ length: Math.min(batchSize, count - start) }, () => new Types.ObjectId());
    await users.insertMany(
      ids.map((_id, i) => ({
        _id,
        ...storedUser({
          email: emailOf(start + i),
          passwordHash,
          createdAt: new Date(at),
          // A user who never logged in has no `sessions` at all.
          sessions: sessionsPerAccount > 0 ? sessionsOf(sessionsPerAccount, _id, ipOf(start + i), at) : undefined,
        }),
      })),
      { ordered: false },
    );
    batches.push(ids);
  }
  return {
    async remove() {
      for (const ids of batches) await users.deleteMany({ _id: { $in: ids } });
    },
  };
}

const sessionsOf = (count: number, userId: Types.ObjectId, ip: string, at: number): StoredSessions =>
  Object.fromEntries(
    Array.from({ length: count }, () => {
      const sessionId = crypto.randomUUID();
      const { session } = newSession(
        { userId: String(userId), sessionId, userAgent: null, ip, amr: ["pwd"] },
        { at, ...sessionLifetimes },
      );
      return [sessionId, session];
    }),
  );
