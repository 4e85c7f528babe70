// The growth phase (`--accounts N`): login, GET /user and POST /refresh on a nearly empty database, then again after
// N accounts with a few sessions each are inserted in bulk (not through the API), so the report can tell whether cost
// grows with the user base.
import { UsersConfigSchema } from "@accounts/users-api/config";
import { newSession } from "@accounts/users-api/sessions/queries";
import type { Collection, Db } from "mongodb";
import { Types } from "mongoose";
import type { GrowthPhase } from "./growth-report.ts";
import { forwardedFor, getUser, type LoadResult, logIn, refresh } from "./load.ts";
import { observeProcesses } from "./observe.ts";
import type { Service } from "./report.ts";

export interface GrowthPlan {
  accounts: number;
  seconds: number;
  password: string;
  runId: string;
  /** Our database (the users collection of users-api). */
  db: Db;
  server: string;
  isFerretDB: boolean;
  hashOptions: { memoryCost: number; timeCost: number };
  loginConnections: number;
  userConnections: number;
  refreshConnections: number;
  ours: { url: string; pids: Record<Service, number>; users: readonly Credentials[] };
  step: <T extends { perSecond: number; foreignCpu: number }>(label: string, run: () => Promise<T>) => Promise<T>;
}

type Credentials = { email: string; password: string };

const batchSize = 1000;
const SESSIONS_PER_ACCOUNT = 3;

export async function measureGrowth(plan: GrowthPlan): Promise<GrowthPhase> {
  const { db, runId, seconds, ours, step } = plan;
  const users = db.collection("users");
  // The earlier runs' sign-ups go, so "empty" means the login accounts alone (and whatever else the database held).
  const loginEmails = ours.users.map((user) => user.email);
  await users.deleteMany({ email: { $regex: `^bench-${runId}-`, $nin: loginEmails } });

  // Setup logins, each from the next of the bench's clients, so the per-client login limit does not refuse them.
  let setupClients = 0;
  const session = (user: Credentials) => logInOnce(ours.url, user, forwardedFor(setupClients++));
  const measure = async (label: string, loginUsers: readonly Credentials[], chainUsers: readonly Credentials[]) => {
    const { token } = await session(loginUsers[0]!);
    // A session chain of its own for every refresh connection, each from a real login.
    const chains: string[] = [];
    for (const user of chainUsers) chains.push((await session(user)).refreshToken);
    const observe = (name: string, run: () => Promise<LoadResult>) =>
      observeProcesses(ours.pids, () => step(`${name} (${label})`, run));
    return {
      documents: await users.countDocuments(),
      sessions: await countSessions(users),
      logIn: await observe(`POST /login, ${plan.loginConnections} connections`, () =>
        logIn(ours.url, plan.loginConnections, seconds, loginUsers),
      ),
      getUser: await observe(`GET /user, ${plan.userConnections} connections`, () =>
        getUser(ours.url, plan.userConnections, seconds, token),
      ),
      refresh: await observe(`POST /refresh, ${plan.refreshConnections} connections`, () =>
        refresh(ours.url, plan.refreshConnections, seconds, chains),
      ),
    };
  };

  // Both sizes log in to accounts of one shape, seeded with 3 sessions each: the bench's own login accounts have
  // gathered many sessions by now, and a user's sessions are read with it.
  const baseline = await seedAccounts(db, {
    count: ours.users.length,
    emailPrefix: `bench-${runId}-baseline-`,
    password: plan.password,
    hashOptions: plan.hashOptions,
    sessionsPerAccount: SESSIONS_PER_ACCOUNT,
  });
  const baselineUser = (i: number) => ({ email: baseline.emailOf(i % ours.users.length), password: plan.password });
  const empty = await measure(
    "empty database",
    Array.from({ length: ours.users.length }, (_, i) => baselineUser(i)),
    Array.from({ length: plan.refreshConnections }, (_, i) => baselineUser(i)),
  );
  const seedStarted = performance.now();
  const seeded = await seedAccounts(db, {
    count: plan.accounts,
    emailPrefix: `bench-${runId}-grown-`,
    password: plan.password,
    hashOptions: plan.hashOptions,
    sessionsPerAccount: SESSIONS_PER_ACCOUNT,
  });
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  try {
    // Seeded accounts spread over the whole range, so no lookup is always the first or the last one inserted.
    const spread = (count: number) =>
      Array.from({ length: count }, (_, i) => ({
        email: seeded.emailOf(Math.floor((i * (plan.accounts - 1)) / Math.max(1, count - 1))),
        password: plan.password,
      }));
    const grown = await measure(
      `${plan.accounts} accounts`,
      spread(ours.users.length),
      spread(plan.refreshConnections),
    );
    return {
      accounts: plan.accounts,
      sessionsPerAccount: SESSIONS_PER_ACCOUNT,
      seedSeconds,
      server: plan.server,
      isFerretDB: plan.isFerretDB,
      empty,
      grown,
    };
  } finally {
    await seeded.remove();
    await baseline.remove();
  }
}

export interface SeedPlan {
  count: number;
  emailPrefix: string;
  password: string;
  hashOptions: { memoryCost: number; timeCost: number };
  sessionsPerAccount: number;
}

/**
 * Inserts `count` users in users-api's document shape (users/collection.ts: `email`, the hash as `password`,
 * `createdAt`) with insertMany, each with its sessions as a login stores them (sessions/queries.ts `newSession`). One real argon2id hash at our default cost serves them all: hashing each would
 * take count × 65 ms of CPU and measure nothing the lookups care about.
 */
export async function seedAccounts(
  db: Db,
  { count, emailPrefix, password, hashOptions, sessionsPerAccount }: SeedPlan,
) {
  const passwordHash = await Bun.password.hash(password, { algorithm: "argon2id", ...hashOptions });
  const emailOf = (i: number) => `${emailPrefix}${i}@example.com`;
  const users = db.collection("users");
  const batches: Types.ObjectId[][] = [];
  for (let start = 0; start < count; start += batchSize) {
    const at = Date.now();
    const ids = Array.from({ length: Math.min(batchSize, count - start) }, () => new Types.ObjectId());
    await users.insertMany(
      ids.map((_id, i) => ({
        _id,
        email: emailOf(start + i),
        password: passwordHash,
        createdAt: new Date(at),
        // A user who never logged in has no `sessions` at all.
        ...(sessionsPerAccount > 0 && {
          sessions: seededSessions(sessionsPerAccount, _id, forwardedFor(start + i), at),
        }),
      })),
      { ordered: false },
    );
    batches.push(ids);
  }
  return {
    emailOf,
    /** Deletes the seeded accounts, with every session of theirs, seeded or opened by a login since. */
    async remove() {
      for (const ids of batches) await users.deleteMany({ _id: { $in: ids } });
    },
  };
}

/** Sessions the users' documents hold. */
async function countSessions(users: Collection) {
  let count = 0;
  for await (const { sessions } of users.find({}, { projection: { sessions: 1 } }))
    count += Object.keys(sessions ?? {}).length;
  return count;
}

const sessionLifetimes = {
  maxAgeSeconds: Number(UsersConfigSchema.properties.SESSION_MAX_AGE_SECONDS.default),
  idleSeconds: Number(UsersConfigSchema.properties.SESSION_IDLE_SECONDS.default),
};

/** `count` sessions as logins at `at` from `ip` open them; their refresh tokens are thrown away. */
const seededSessions = (count: number, userId: Types.ObjectId, ip: string, at: number) =>
  Object.fromEntries(
    Array.from({ length: count }, () => {
      const sessionId = crypto.randomUUID();
      return [
        sessionId,
        newSession(
          { userId: String(userId), sessionId, userAgent: null, ip, amr: ["pwd"] },
          { at, ...sessionLifetimes },
        ).session,
      ];
    }),
  );

/** Logs in once as `client`, waiting out 503s (the previous run's requests may still fill the hash queue) as Retry-After says. */
async function logInOnce(
  baseUrl: string,
  user: Credentials,
  client: string,
): Promise<{ token: string; refreshToken: string }> {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(`${baseUrl}/login`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": client },
      body: JSON.stringify(user),
    });
    if (response.ok) return (await response.json()) as { token: string; refreshToken: string };
    if (response.status !== 503 || attempt === 10)
      throw new Error(`POST /login answered ${response.status}: ${await response.text()}`);
    await Bun.sleep(Number(response.headers.get("retry-after") ?? 1) * 1000);
  }
}
