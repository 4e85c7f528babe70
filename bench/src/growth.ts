// The growth phase (`--accounts N`): login and GET /user on a nearly empty database, then again after N accounts
// are inserted in bulk (not through the API), so the report can tell whether cost grows with the user base.
import type { Db } from "mongodb";
import { getUser, type LoadResult, logIn } from "./load.ts";
import { observeProcesses } from "./observe.ts";
import type { Service } from "./report.ts";
import type { GrowthPhase } from "./growth-report.ts";

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
  ours: { url: string; pids: Record<Service, number>; users: readonly { email: string; password: string }[] };
  step: <T extends { perSecond: number; foreignCpu: number }>(label: string, run: () => Promise<T>) => Promise<T>;
}

const batchSize = 1000;

export async function measureGrowth(plan: GrowthPlan): Promise<GrowthPhase> {
  const { db, runId, seconds, ours, step } = plan;
  const users = db.collection("users");
  // The earlier runs' sign-ups go, so "empty" means the login accounts alone (and whatever else the database held).
  const loginEmails = ours.users.map((user) => user.email);
  await users.deleteMany({ email: { $regex: `^bench-${runId}-`, $nin: loginEmails } });

  const measure = async (label: string, loginUsers: readonly { email: string; password: string }[]) => {
    const token = await ourToken(ours.url, loginUsers[0]!);
    const observe = (name: string, run: () => Promise<LoadResult>) =>
      observeProcesses(ours.pids, () => step(`${name} (${label})`, run));
    return {
      documents: await users.countDocuments(),
      logIn: await observe(`POST /login, ${plan.loginConnections} connections`, () =>
        logIn(ours.url, plan.loginConnections, seconds, loginUsers),
      ),
      getUser: await observe(`GET /user, ${plan.userConnections} connections`, () =>
        getUser(ours.url, plan.userConnections, seconds, token),
      ),
    };
  };

  const empty = await measure("empty database", ours.users);
  const seedStarted = performance.now();
  const seeded = await seedAccounts(db, plan.accounts, `bench-${runId}-grown-`, plan.password, plan.hashOptions);
  // Sessions (issue 10): once the sessions collection exists, seed a few per account here in its real document
  // shape (a function of its own beside seedAccounts), and measure POST /refresh beside login and GET /user.
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  try {
    // Logins for accounts spread over the whole range, so no lookup is always the first or the last one inserted.
    const spread = Array.from({ length: ours.users.length }, (_, i) => ({
      email: seeded.emailOf(Math.floor((i * (plan.accounts - 1)) / Math.max(1, ours.users.length - 1))),
      password: plan.password,
    }));
    const grown = await measure(`${plan.accounts} accounts`, spread);
    return {
      accounts: plan.accounts,
      sessionsPerAccount: 0,
      seedSeconds,
      server: plan.server,
      isFerretDB: plan.isFerretDB,
      empty,
      grown,
    };
  } finally {
    await users.deleteMany({ email: { $regex: `^bench-${runId}-grown-` } });
  }
}

/**
 * Inserts `count` users in users-api's document shape (collection.ts: `email`, the hash as `password`,
 * `createdAt`) with insertMany. One real argon2id hash at our default cost serves them all: hashing each would
 * take count × 65 ms of CPU and measure nothing the lookups care about.
 */
export async function seedAccounts(
  db: Db,
  count: number,
  emailPrefix: string,
  password: string,
  hashOptions: { memoryCost: number; timeCost: number },
) {
  const passwordHash = await Bun.password.hash(password, { algorithm: "argon2id", ...hashOptions });
  const emailOf = (i: number) => `${emailPrefix}${i}@example.com`;
  for (let start = 0; start < count; start += batchSize) {
    const createdAt = new Date();
    const documents = Array.from({ length: Math.min(batchSize, count - start) }, (_, i) => ({
      email: emailOf(start + i),
      password: passwordHash,
      createdAt,
    }));
    await db.collection("users").insertMany(documents, { ordered: false });
  }
  return { emailOf };
}

/** Logs in once, waiting out 503s (the previous run's requests may still fill the hash queue) as Retry-After says. */
async function ourToken(baseUrl: string, user: { email: string; password: string }): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(`${baseUrl}/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(user),
    });
    if (response.ok) return ((await response.json()) as { token: string }).token;
    if (response.status !== 503 || attempt === 10)
      throw new Error(`POST /login answered ${response.status}: ${await response.text()}`);
    await Bun.sleep(Number(response.headers.get("retry-after") ?? 1) * 1000);
  }
}
