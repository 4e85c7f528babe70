// The growth phase (`--accounts N`): login, GET /user and POST /refresh on a nearly empty database, then again after
// N accounts with a few sessions each are inserted in bulk (not through the API), so the report can tell whether cost
// grows with the user base.
import { seedAccounts as seedUsersApiAccounts } from "@accounts/users-api/seed-accounts";
import type { Collection, Db } from "mongodb";
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
 * `count` accounts inserted in bulk by users-api's own `seedAccounts` (its document shapes are its own), each logged
 * in from one of the bench's clients. One real argon2id hash at our default cost serves them all: hashing each would
 * take count × 65 ms of CPU and measure nothing the lookups care about.
 */
export async function seedAccounts(
  db: Db,
  { count, emailPrefix, password, hashOptions, sessionsPerAccount }: SeedPlan,
) {
  const passwordHash = await Bun.password.hash(password, { algorithm: "argon2id", ...hashOptions });
  const emailOf = (i: number) => `${emailPrefix}${i}@example.com`;
  const { remove } = await seedUsersApiAccounts(db, {
    count,
    emailOf,
    passwordHash,
    sessionsPerAccount,
    ipOf: forwardedFor,
    at: Date.now(),
  });
  return {
    emailOf,
    /** Deletes the seeded accounts, with every session of theirs, seeded or opened by a login since. */
    remove,
  };
}

/** Sessions the users' documents hold. */
async function countSessions(users: Collection) {
  let count = 0;
  for await (const { sessions } of users.find({}, { projection: { sessions: 1 } }))
    count += Object.keys(sessions ?? {}).length;
  return count;
}

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
