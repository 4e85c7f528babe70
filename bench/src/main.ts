// `bun run bench [--seconds 10] [--accounts 100000] [--quick] [--results dir]`: starts the system as `bun run dev`
// does but with production settings on free ports, drives it with autocannon, measures the hashing limit in
// between and what a throttled login costs against it, floods it with logins from many accounts, compares it with
// Better Auth (peer/), measures it again after the database has grown (growth.ts), and writes bench/results/.
// `--quick` (1 s per run, 100 accounts) checks that all of it still runs.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { AuthConfigSchema } from "@accounts/auth-api/config";
import { freePort } from "@accounts/scripts/lib/processes";
import { startSystem } from "@accounts/scripts/lib/system";
import { HASH_QUEUE_PER_SLOT } from "@accounts/shared/limits";
import { UsersConfigSchema } from "@accounts/users-api/config";
import { openBenchDatabase } from "./database.ts";
import { measureGrowth, seedAccounts } from "./growth.ts";
import { runHashLimit } from "./hash-limit-process.ts";
import { databaseLimits } from "./database-limit.ts";
import { forwardedFor, getHealth, getUser, logIn, refresh, signUp, type LoadResult } from "./load.ts";
import { describeMachine } from "./machine.ts";
import { scrape, sumOf } from "./metrics.ts";
import { observeProcesses } from "./observe.ts";
import { comparePeer } from "./peer/compare.ts";
import { startPeer } from "./peer/process.ts";
import {
  renderMarkdown,
  type HashingRun,
  type HashLimitRun,
  type Measurements,
  type ObservedRun,
  type Service,
} from "./report.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string" },
    accounts: { type: "string" },
    quick: { type: "boolean", default: false },
    results: { type: "string", default: join(import.meta.dir, "../results") },
  },
});
const seconds = Number(values.seconds ?? (values.quick ? 1 : 10));
if (!(seconds > 0)) throw new Error("--seconds must be a positive number");
// 100,000 by default, the size the growth target names: on both databases every request-path lookup is served by an
// index (growth-report.ts), and seeding them takes under a minute.
const accounts = Number(values.accounts ?? (values.quick ? 100 : 100_000));
if (!(Number.isInteger(accounts) && accounts > 0)) throw new Error("--accounts must be a positive integer");

// Production settings are the services' defaults: drop any tuning a developer's shell exports (a lower
// hash cost, debug logs). MONGODB_URI stays: it picks the database, as for `bun run dev`.
for (const name of [...Object.keys(AuthConfigSchema.properties), ...Object.keys(UsersConfigSchema.properties)]) {
  if (name !== "MONGODB_URI") delete process.env[name];
}
// The load generator stands in for many clients behind a proxy: it connects from loopback and names each request's
// client in X-Forwarded-For (see load.ts), which users-api believes from loopback only.
process.env.TRUSTED_PROXIES = "127.0.0.1/32,::1/128";
const database = await openBenchDatabase();
process.env.MONGODB_URI = database.ours;
const hashConcurrency = Number(AuthConfigSchema.properties.HASH_CONCURRENCY.default);
const settings: Measurements["settings"] = {
  secondsPerRun: seconds,
  hashMemoryKiB: Number(AuthConfigSchema.properties.HASH_MEMORY_KIB.default),
  hashTimeCost: Number(AuthConfigSchema.properties.HASH_TIME_COST.default),
  hashConcurrency,
  hashQueueLimit: HASH_QUEUE_PER_SLOT * hashConcurrency, // auth-api's default when HASH_QUEUE_LIMIT is unset
  logLevel: String(UsersConfigSchema.properties.LOG_LEVEL.default),
  loginsPerClientPerMinute: Number(UsersConfigSchema.properties.LOGINS_PER_CLIENT_PER_MINUTE.default),
  loginFailuresBeforeDelay: Number(UsersConfigSchema.properties.LOGIN_FAILURES_BEFORE_DELAY.default),
  database: database.server,
};
const capacity = settings.hashConcurrency + settings.hashQueueLimit;
// Within capacity: one request at a time (latency without waiting), as many as hash at once, enough to fill the queue too.
const hashingConnections = [...new Set([1, settings.hashConcurrency, capacity])];
const fastConnections = [10, 100];
const overloadConnections = 10 * capacity;
// A flood from many accounts, not a few, from BENCH_CLIENTS clients.
const floodAccounts = 300;
const loginAccountCount = 100;
const throttledAddresses = 4;
const throttledConnections = 10;
const password = "bench-password-correct-horse";
let setupRequests = 0;

const machine = describeMachine();
const startedAt = new Date().toISOString();
const usersPort = freePort();
const authPort = freePort();
const usersUrl = `http://127.0.0.1:${usersPort}`;
const authUrl = `http://127.0.0.1:${authPort}`;
const peerPort = freePort();

console.log(
  `Starting the system (users-api :${usersPort}, auth-api :${authPort}) and Better Auth (:${peerPort}) on ${database.server}, ${seconds} s per run…`,
);
const system = await startSystem({ usersPort, authPort, logs: "ignore" }).catch(stopping(database));
const pids = {
  "auth-api": system.services["auth-api"].pid,
  "users-api": system.services["users-api"].pid,
} satisfies Record<Service, number>;
const peer = await startPeer({ port: peerPort, mongodbUri: database.peer }).catch(stopping(system, database));

let measurements: Measurements;
try {
  measurements = await measure();
} finally {
  await peer.stop();
  await system.stop();
  await database.stop();
}

const name = `${startedAt.slice(0, 10)}-${machine.commit}`;
const resultsDir = values.results;
mkdirSync(resultsDir, { recursive: true });
const markdown = renderMarkdown(measurements);
const json = `${JSON.stringify(measurements, null, 2)}\n`;
for (const base of [name, "latest"]) {
  writeFileSync(join(resultsDir, `${base}.md`), markdown);
  writeFileSync(join(resultsDir, `${base}.json`), json);
}
console.log(`\n${markdown}\nWritten to ${join(resultsDir, name)}.md and .json (and latest.*).`);

async function measure(): Promise<Measurements> {
  const runId = Date.now().toString(36);
  // Before anything else, so the refusal's one read meets the throttles collection as small as it gets: FerretDB has
  // no TTL index to delete the windows the other runs leave behind, one per client.
  const throttled = await throttledLogIns(
    Array.from({ length: throttledAddresses }, (_, i) => `bench-${runId}-throttled-${i}@example.com`),
  );
  // Enough accounts that each gathers a few sessions over the bench, as real users' do: with 8, each gathered hundreds,
  // and a login reads every session id its account lists (up to SESSIONS_PER_ACCOUNT), so login measured that.
  const loginAccounts = Array.from({ length: loginAccountCount }, (_, i) => ({
    email: `bench-${runId}-login-${i}@example.com`,
    password,
  }));
  for (const account of loginAccounts) await post("/signup", account, 201);
  const users: { email: string; password: string; deviceToken: string }[] = [];
  let token = "";
  for (const account of loginAccounts) {
    const session = (await post("/login", account, 200)) as { token: string; deviceToken: string };
    users.push({ ...account, deviceToken: session.deviceToken });
    token ||= session.token;
  }
  // A session chain of its own for every refresh connection, plus the warm-up's.
  const refreshTokens: string[] = [];
  for (let i = 0; i < 10 + fastConnections.reduce((sum, n) => sum + n, 0); i++)
    refreshTokens.push(
      ((await post("/login", loginAccounts[i % loginAccounts.length], 200)) as { refreshToken: string }).refreshToken,
    );
  const { userId, sessionId } = (await post("/login", loginAccounts[0], 200)) as Record<string, string>;
  const databaseWork = await databaseLimits(database.ours, {
    userId: userId!,
    sessionId: sessionId!,
    idleSeconds: Number(UsersConfigSchema.properties.SESSION_IDLE_SECONDS.default),
  });

  // Unrecorded warm-up, so the first recorded run does not pay for JIT compilation.
  await getHealth(usersUrl, 10, 2);
  await getUser(usersUrl, 10, 2, token!);
  await refresh(usersUrl, 10, 2, refreshTokens.splice(0, 10));

  const health: ObservedRun[] = [];
  const user: ObservedRun[] = [];
  const refreshes: ObservedRun[] = [];
  const databaseLimit: Measurements["databaseLimit"] = { caller: [], rotation: [] };
  for (const connections of fastConnections) {
    health.push(
      await observe(`GET /health, ${connections} connections`, () => getHealth(usersUrl, connections, seconds)),
    );
    user.push(
      await observe(`GET /user, ${connections} connections`, () => getUser(usersUrl, connections, seconds, token!)),
    );
    databaseLimit.caller.push(
      await step(`GET /user's query alone, ${connections} at once`, () => databaseWork.caller(connections, seconds)),
    );
    const chains = refreshTokens.splice(0, connections);
    refreshes.push(
      await observe(`POST /refresh, ${connections} connections`, () => refresh(usersUrl, connections, seconds, chains)),
    );
    databaseLimit.rotation.push(
      await step(`POST /refresh's update alone, ${connections} at once`, () =>
        databaseWork.rotation(connections, seconds),
      ),
    );
  }
  await databaseWork.close();
  const signUps = await hashingRuns("hash", "POST /signup", (connections) =>
    signUp(usersUrl, connections, seconds, password, `${runId}-${connections}`),
  );
  const logIns = await hashingRuns("verify", "POST /login", (connections) =>
    logIn(usersUrl, connections, seconds, users),
  );

  const flooders = await seedAccounts(database.db, {
    count: floodAccounts,
    emailPrefix: `bench-${runId}-flood-`,
    password,
    hashOptions: { memoryCost: settings.hashMemoryKiB, timeCost: settings.hashTimeCost },
    sessionsPerAccount: 0,
  });
  let overload: Measurements["overload"];
  try {
    const floodUsers = Array.from({ length: floodAccounts }, (_, i) => ({ email: flooders.emailOf(i), password }));
    // Unrecorded: the first seconds of a flood grow memory for its connections once; what matters is what follows.
    await logIn(usersUrl, overloadConnections, seconds, floodUsers);
    overload = await flood(`POST /login flood from ${floodAccounts} accounts, ${overloadConnections} connections`, () =>
      logIn(usersUrl, overloadConnections, seconds, floodUsers),
    );
  } finally {
    await flooders.remove();
  }

  const againstPeer = await comparePeer({
    seconds,
    password,
    runId,
    hashingConnections,
    fastConnections,
    ours: { url: usersUrl, pids, users, token, hashLimit },
    peer,
    step,
  });
  const growth = await measureGrowth({
    accounts,
    seconds,
    password,
    runId,
    db: database.db,
    server: database.server,
    isFerretDB: database.isFerretDB,
    hashOptions: { memoryCost: settings.hashMemoryKiB, timeCost: settings.hashTimeCost },
    loginConnections: capacity,
    userConnections: Math.max(...fastConnections),
    // Each chain costs a login (one argon2id verify) at each size: the fewer connections keep that setup short.
    refreshConnections: Math.min(...fastConnections),
    ours: { url: usersUrl, pids, users },
    step,
  });

  return {
    startedAt,
    machine,
    settings,
    signUp: signUps,
    logIn: logIns,
    getUser: user,
    refresh: refreshes,
    databaseLimit,
    health,
    throttled,
    overload,
    peer: againstPeer,
    growth,
  };
}

/** One run per hashing concurrency level, each between two measurements of the limit (shared by neighbours). */
async function hashingRuns(
  operation: "hash" | "verify",
  label: string,
  run: (connections: number) => Promise<LoadResult>,
): Promise<HashingRun[]> {
  const runs: HashingRun[] = [];
  let limitBefore = await step(`Bun.password.${operation} limit`, () => hashLimit(operation));
  for (const connections of hashingConnections) {
    const observed = await observe(`${label}, ${connections} connections`, () => run(connections));
    const limitAfter = await step(`Bun.password.${operation} limit`, () => hashLimit(operation));
    runs.push({ ...observed, limitBefore, limitAfter });
    limitBefore = limitAfter;
  }
  return runs;
}

/** A load run with each service's memory sampled and its CPU time per response counted. */
function observe(label: string, run: () => Promise<LoadResult>): Promise<ObservedRun> {
  return observeProcesses(pids, () => step(label, run));
}

async function flood(label: string, run: () => Promise<LoadResult>): Promise<Measurements["overload"]> {
  let maxHashesInFlight = 0;
  let maxHashesQueued = 0;
  let flooding = true;
  const watchMetrics = (async () => {
    while (flooding) {
      const metrics = await scrape(authUrl);
      maxHashesInFlight = Math.max(maxHashesInFlight, sumOf(metrics, "password_hashes_in_flight"));
      maxHashesQueued = Math.max(maxHashesQueued, sumOf(metrics, "password_hashes_queued"));
      await Bun.sleep(200);
    }
  })();
  const observed = await observe(label, run);
  flooding = false;
  await watchMetrics;
  return { ...observed, accounts: floodAccounts, maxHashesInFlight, maxHashesQueued };
}

/**
 * Logins at `emails`, addresses no account has (the per-account rule counts those alike), once each is in its
 * failure delay: with requests spread over BENCH_CLIENTS clients, each answer should be the per-account rule's 429.
 * auth-api's and users-api's own counters say whether any request reached hashing and which rule refused it.
 */
async function throttledLogIns(emails: readonly string[]): Promise<Measurements["throttled"]> {
  // Delays that outlast the run and the moments before it starts.
  await Promise.all(emails.map((email) => intoDelay(email, (seconds + 2) * 1000)));
  const counts = async () => {
    const [auth, users] = await Promise.all([scrape(authUrl), scrape(usersUrl)]);
    return {
      hashRequests:
        sumOf(auth, "http_requests_total", { route: "/token" }) +
        sumOf(auth, "http_requests_total", { route: "/hashed-pw" }),
      byAccountRule: sumOf(users, "throttled_attempts_total", { rule: "login-account" }),
      byAnyRule: sumOf(users, "throttled_attempts_total"),
    };
  };
  const throttleDocuments = await database.db.collection("throttles").countDocuments();
  const before = await counts();
  const observed = await observe(
    `POST /login at ${emails.length} addresses in their delay, ${throttledConnections} connections`,
    () =>
      logIn(
        usersUrl,
        throttledConnections,
        seconds,
        emails.map((email) => ({ email, password })),
      ),
  );
  const after = await counts();
  return {
    ...observed,
    addresses: emails.length,
    throttleDocuments,
    byAccountRule: after.byAccountRule - before.byAccountRule,
    byOtherRules: after.byAnyRule - after.byAccountRule - (before.byAnyRule - before.byAccountRule),
    hashRequests: after.hashRequests - before.hashRequests,
  };
}

/**
 * Fails logins for `email` with a wrong password, each after the wait the one before caused, until the wait is
 * longer than `outlastMs`. Each failure costs a verify; the waits double, so this takes about as long as the last.
 */
async function intoDelay(email: string, outlastMs: number): Promise<void> {
  for (;;) {
    const response = await send("/login", { email, password: "bench-password-wrong" });
    await response.body?.cancel();
    if (response.status === 401) continue;
    const waitMs = Number(response.headers.get("retry-after")) * 1000;
    if (response.status === 429 && waitMs > outlastMs) return;
    if ((response.status !== 429 && response.status !== 503) || !(waitMs > 0))
      throw new Error(`POST /login for ${email} answered ${response.status} without Retry-After`);
    await Bun.sleep(waitMs);
  }
}

/** Runs the hashing limit in its own process, at the cost auth-api runs with. */
function hashLimit(operation: "hash" | "verify"): Promise<HashLimitRun> {
  const args = [operation, String(settings.hashMemoryKiB), String(settings.hashTimeCost), String(seconds)];
  return runHashLimit(join(import.meta.dir, "hash-limit.ts"), args);
}

async function step<T extends { perSecond: number; foreignCpu: number }>(
  label: string,
  run: () => Promise<T>,
): Promise<T> {
  // The client windows of earlier runs go, as their TTL would have deleted them by now; accounts' failure counts
  // stay (the throttled run needs its addresses in their delay).
  await database.db.collection("throttles").deleteMany({ _id: { $not: /^login-account:/ } } as object);
  process.stdout.write(`  ${label}… `);
  const result = await run();
  console.log(`${result.perSecond.toFixed(1)}/s (other load ${(result.foreignCpu * 100).toFixed(0)}%)`);
  return result;
}

/** A setup request, from the next of the bench's clients (see forwardedFor), so setup is not throttled as one client either. */
function send(path: string, body: unknown): Promise<Response> {
  return fetch(`${usersUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-forwarded-for": forwardedFor(setupRequests++) },
    body: JSON.stringify(body),
  });
}

async function post(path: string, body: unknown, expected: number): Promise<unknown> {
  const response = await send(path, body);
  if (response.status !== expected)
    throw new Error(`POST ${path} answered ${response.status}, expected ${expected}: ${await response.text()}`);
  return response.json();
}

/** For a start that failed: stops what had started before it, then fails. */
function stopping(...started: { stop(): Promise<void> }[]) {
  return async (error: unknown): Promise<never> => {
    for (const part of started) await part.stop();
    throw error;
  };
}
