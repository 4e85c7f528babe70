// Faults under load: Toxiproxy between users-api and MongoDB (a FerretDB of this suite's own, so it can be
// killed) and between users-api and auth-api; both services as real processes; sign-ups, logins and GET /user
// running throughout. For each fault: every answer is a documented one within the configured timeouts (503s
// with Retry-After), nothing is lost or doubled, and readiness and success recover by themselves.
// UPDATE_FAULT_RESULTS=1 writes the measured table into faults/results.md (linked from docs/testing.md).
import { usersApiProcessEnv } from "./support.ts";
import { SESSIONS_PER_ACCOUNT } from "../src/sessions/service.ts";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import mongoose, { type Connection } from "mongoose";
import { startFerretDB, type LocalDatabase } from "@accounts/scripts/lib/ferretdb";
import { hasGo } from "@accounts/scripts/lib/go-tools";
import { generateSigningKey } from "@accounts/auth-api/keys/generate";
import { generateInternalToken } from "@accounts/shared/secrets";
import { freePort, startService, type RunningService } from "@accounts/scripts/lib/processes";
import { DATABASE_OPERATION_TIMEOUT_MS, mongodbOptions } from "../src/mongodb.ts";
import {
  flows,
  NEW_PASSWORD,
  type Outcome,
  pollReadiness,
  type RefreshChain,
  startLoad,
  succeeded,
} from "./faults/load.ts";
import { committedTable, type FaultRow, faultsIn, formatTable, writeResults } from "./faults/results.ts";
import { type Proxy as ToxicProxy, startToxiproxy, type Toxiproxy } from "./faults/toxiproxy.ts";

// Toxiproxy and FerretDB are built with Go: without it, skip locally; in CI that is a broken set-up: fail.
const runnable = hasGo() || Boolean(process.env.CI);

const AUTH_API_TIMEOUT_MS = 1_000;
// users-api's own bound on a MongoDB operation (finding a server is bounded by a timeout as long).
const DATABASE_TIMEOUT_MS = DATABASE_OPERATION_TIMEOUT_MS;
// The slowest answer the configuration allows: a login's auth-api call and two database operations, plus room
// for a loaded machine. Anything slower is a hang.
const ANSWER_BOUND_MS = AUTH_API_TIMEOUT_MS + 2 * DATABASE_TIMEOUT_MS + 3_000;
const WORKERS = 4;
const WARMUP_MS = 1_000;
const HOLD_MS = 3_000;
const OUTAGE_MS = 10_000;
// Success is "back" once every request for this long has succeeded; it must be back within RECOVERY_BOUND_MS.
const STEADY_MS = 2_000;
const RECOVERY_BOUND_MS = 5_000;

const internalToken = generateInternalToken();
let authEnv: Record<string, string>;
let authPort: number;
let authApi: RunningService;
let usersApi: RunningService;
let database: LocalDatabase;
let db: Connection;
let toxiproxy: Toxiproxy;
let toAuth: ToxicProxy;
let toDatabase: ToxicProxy;
let documented: Record<string, string[]>;
let token: string;
let emails = 0;
let logins = 0;
// Accounts with seed-era bcrypt hashes, upgraded to argon2id by their first login (maybe during a fault).
const legacyAccounts = Array.from({ length: 8 }, (_, i) => ({
  email: `legacy${i}@example.com`,
  password: `legacy pw ${i}`,
}));
const reader = { email: "reader@example.com", password: NEW_PASSWORD };
// One refresh chain per worker: a refresh in flight holds its chain, so no two requests present one token.
const freeChains: RefreshChain[] = [];
const everyOutcome: Outcome[] = [];
const rows: FaultRow[] = [];

beforeAll(async () => {
  if (!runnable) return;
  database = await startFerretDB();
  db = await mongoose.createConnection(database.uri, { ...mongodbOptions, dbName: "users_faults" }).asPromise();
  for (const { email, password } of legacyAccounts)
    await db
      .collection("users")
      .insertOne({ email, password: await Bun.password.hash(password, { algorithm: "bcrypt", cost: 4 }) });
  toxiproxy = await startToxiproxy();
  toDatabase = await toxiproxy.proxy("mongodb", new URL(database.uri).host);
  authPort = freePort();
  authEnv = { INTERNAL_TOKEN: internalToken, JWT_SIGNING_KEY: JSON.stringify((await generateSigningKey()).privateJwk) };
  authApi = await startService("auth-api", { port: authPort, env: authEnv });
  toAuth = await toxiproxy.proxy("auth-api", `127.0.0.1:${authPort}`);
  usersApi = await startService("users-api", {
    env: {
      ...usersApiProcessEnv(),
      MONGODB_URI: `mongodb://${toDatabase.listen}/users_faults`,
      AUTH_API_URL: `http://${toAuth.listen}`,
      INTERNAL_TOKEN: internalToken,
      AUTH_API_TIMEOUT_MS: String(AUTH_API_TIMEOUT_MS),
    },
  });
  const document = (await (await fetch(`${usersApi.url}/swagger/json`)).json()) as {
    paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  };
  documented = Object.fromEntries(
    flows.map(({ operation }) => {
      const [method, path] = operation.split(" ") as [string, string];
      return [operation, Object.keys(document.paths[path]![method.toLowerCase()]!.responses)];
    }),
  );
  expect((await post("/signup", reader)).status).toBe(201);
  token = ((await (await post("/login", reader)).json()) as { token: string }).token;
  for (let i = 0; i < WORKERS; i++) freeChains.push({ refreshToken: await readerRefreshToken() });
}, 120_000);

afterAll(async () => {
  if (!runnable) return;
  await usersApi?.stop();
  await authApi?.stop();
  await toxiproxy?.stop();
  await db?.close();
  await database?.stop();
});

const post = (path: string, body: object) =>
  fetch(`${usersApi.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

async function readerRefreshToken() {
  const response = await post("/login", reader);
  if (response.status !== 200) throw new Error(`the reader's login answered ${response.status}`);
  return ((await response.json()) as { refreshToken: string }).refreshToken;
}

interface Fault {
  name: string;
  /** Injects the fault and resolves how to end it. */
  inject(): Promise<() => Promise<unknown>>;
  holdMs: number;
  /** Whether readiness must fall while it lasts (a starved link may still answer /ready in time). */
  readinessFalls: boolean;
}

const toxic =
  (proxy: () => ToxicProxy, ...args: Parameters<ToxicProxy["add"]>) =>
  () =>
    proxy().add(...args);
const down = (proxy: () => ToxicProxy) => async () => {
  await proxy().setEnabled(false);
  return () => proxy().setEnabled(true);
};

const faults: Fault[] = [
  {
    name: "auth-api: latency above AUTH_API_TIMEOUT_MS",
    inject: toxic(() => toAuth, { type: "latency", attributes: { latency: AUTH_API_TIMEOUT_MS + 500 } }),
    holdMs: HOLD_MS,
    readinessFalls: true,
  },
  {
    name: "auth-api: connections reset",
    inject: toxic(() => toAuth, { type: "reset_peer", attributes: { timeout: 0 } }),
    holdMs: HOLD_MS,
    readinessFalls: true,
  },
  { name: "auth-api: down for 10 s", inject: down(() => toAuth), holdMs: OUTAGE_MS, readinessFalls: true },
  {
    name: "auth-api: bandwidth starved (1 KB/s)",
    inject: toxic(() => toAuth, { type: "bandwidth", attributes: { rate: 1 } }),
    holdMs: HOLD_MS,
    readinessFalls: false,
  },
  {
    name: "auth-api: slow close (2 s)",
    inject: toxic(() => toAuth, { type: "slow_close", attributes: { delay: 2_000 } }),
    holdMs: HOLD_MS,
    readinessFalls: false,
  },
  {
    name: "auth-api: kill -9, restarted",
    async inject() {
      await authApi.kill();
      return async () => {
        authApi = await startService("auth-api", { port: authPort, env: authEnv });
      };
    },
    holdMs: HOLD_MS,
    readinessFalls: true,
  },
  {
    // Longer than any answer may take: only users-api's own deadline on each database operation keeps it bounded.
    name: "MongoDB: latency above every timeout",
    inject: toxic(() => toDatabase, { type: "latency", attributes: { latency: ANSWER_BOUND_MS + 2_000 } }),
    // Held past the bound too: toxiproxy lets delayed data through once the toxic goes.
    holdMs: ANSWER_BOUND_MS + 2_000,
    readinessFalls: true,
  },
  {
    name: "MongoDB: connections reset",
    inject: toxic(() => toDatabase, { type: "reset_peer", attributes: { timeout: 0 } }),
    holdMs: HOLD_MS,
    readinessFalls: true,
  },
  { name: "MongoDB: down for 10 s", inject: down(() => toDatabase), holdMs: OUTAGE_MS, readinessFalls: true },
  {
    name: "MongoDB: bandwidth starved (1 KB/s)",
    inject: toxic(() => toDatabase, { type: "bandwidth", attributes: { rate: 1 } }),
    holdMs: HOLD_MS,
    readinessFalls: false,
  },
  {
    name: "MongoDB: slow close (2 s)",
    inject: toxic(() => toDatabase, { type: "slow_close", attributes: { delay: 2_000 } }),
    holdMs: HOLD_MS,
    readinessFalls: false,
  },
  {
    name: "MongoDB: kill -9 of the database, restarted",
    async inject() {
      await database.kill();
      return async () => {
        database = await startFerretDB({ port: Number(new URL(database.uri).port), dataDir: database.dataDir });
      };
    },
    holdMs: HOLD_MS,
    readinessFalls: true,
  },
];

const context = {
  nextEmail: () => `load${emails++}@example.com`,
  account: () => legacyAccounts[logins++ % legacyAccounts.length]!,
  get token() {
    return token;
  },
  takeChain: () => freeChains.pop()!,
  async settleChain(chain: RefreshChain, status: Outcome["status"], answer: unknown) {
    if (status === 200) chain.refreshToken = (answer as { refreshToken: string }).refreshToken;
    // Its session has ended: a client logs in again (docs/api.md, "Retrying after a 503").
    if (status === 401) chain.refreshToken = await readerRefreshToken().catch(() => chain.refreshToken);
    freeChains.push(chain);
  },
};

/** Runs the load through one fault; resolves what was answered, what /ready said, and when success was back. */
async function underFault(fault: Fault) {
  const load = startLoad(usersApi.url, context, { workers: WORKERS, timeoutMs: ANSWER_BOUND_MS + 5_000 });
  const readiness = pollReadiness(usersApi.url);
  await Bun.sleep(WARMUP_MS);
  const injectedAt = performance.now();
  const heal = await fault.inject();
  await Bun.sleep(fault.holdMs);
  await heal();
  const healedAt = performance.now();
  // Back from the last failed request sent after the fault's end, once every one sent since has succeeded for
  // STEADY_MS; given up on well past the bound, so a lasting failure still shows in the table.
  let recoveredAt: number | undefined;
  for (const deadline = healedAt + RECOVERY_BOUND_MS + 10_000; performance.now() < deadline; await Bun.sleep(100)) {
    const after = load.outcomes.filter((outcome) => outcome.startedAt >= healedAt);
    const lastFailure = after.filter((outcome) => !succeeded(outcome)).at(-1);
    const streakStart = lastFailure ? lastFailure.startedAt : healedAt;
    if (performance.now() - streakStart >= STEADY_MS && after.some((outcome) => outcome.startedAt > streakStart)) {
      recoveredAt = streakStart;
      break;
    }
  }
  const outcomes = await load.stop();
  // Readiness has returned at its first 200 after the fault's end, waited for as long as success may take.
  const isReadyAgain = ({ at, status }: { at: number; status: number | "no answer" }) =>
    at >= healedAt && status === 200;
  while (!readiness.seen.some(isReadyAgain) && performance.now() < healedAt + RECOVERY_BOUND_MS + 10_000)
    await Bun.sleep(100);
  const seen = await readiness.stop();
  const readyAt = seen.find(isReadyAgain)?.at;
  return { outcomes, seen, injectedAt, healedAt, recoveredAt, readyAt };
}

const since = (start: number, end: number | undefined) =>
  end === undefined ? "not within 15 s" : `${(Math.max(0, end - start) / 1000).toFixed(1)} s`;

const describeOutcome = (outcomes: Outcome[], readinessFell: boolean) => {
  const byStatus = new Map<string, number>();
  for (const { status } of outcomes) byStatus.set(String(status), (byStatus.get(String(status)) ?? 0) + 1);
  const counts = [...byStatus]
    .sort()
    .map(([status, count]) => `${count} × ${status}`)
    .join(", ");
  const slowest = Math.max(...outcomes.map(({ ms }) => ms));
  return `${counts}; slowest ${(slowest / 1000).toFixed(1)} s; readiness ${readinessFell ? "fell and returned" : "stayed up"}`;
};

/**
 * Nothing lost or doubled, over every request the suite has sent so far: each 201 sign-up stored once, each 503 at
 * most once; every stored hash of a seed account still verifies, and one that logged in was upgraded to argon2id.
 */
async function expectNothingLostOrDoubled() {
  const stored = new Map<string, number>();
  for (const { email } of await db
    .collection("users")
    .find({}, { projection: { email: 1 } })
    .toArray())
    stored.set(email, (stored.get(email) ?? 0) + 1);
  const signUps = everyOutcome.filter(({ email }) => email !== undefined);
  expect(signUps.length).toBeGreaterThan(0);
  for (const { email, status } of signUps) {
    const copies = stored.get(email!) ?? 0;
    if (status === 201) expect({ email, status, copies }).toEqual({ email, status, copies: 1 });
    else expect({ email, status, atMostOnce: copies <= 1 }).toEqual({ email, status, atMostOnce: true });
  }
  // A login's upgrade is conditional on the old hash: whatever ran when, each stored hash still verifies, and a
  // seed account a login answered 200 has had its bcrypt hash upgraded.
  const logins = everyOutcome.filter(({ flow, status }) => flow.name === "login" && status === 200);
  expect(logins.length).toBeGreaterThan(0);
  for (const { email, password } of legacyAccounts) {
    const hash = (await db.collection("users").findOne({ email }))!.password as string;
    const loggedIn = logins.some((login) => login.email === email);
    expect({
      email,
      verifies: await Bun.password.verify(password, hash),
      upgradedIfLoggedIn: !loggedIn || hash.startsWith("$argon2id$"),
    }).toEqual({ email, verifies: true, upgradedIfLoggedIn: true });
  }
}

/**
 * No session without its answer, over every login so far: each login answered 200 has its session (but those the cap
 * ended), and no other is stored but for a 503.
 */
async function expectEverySessionAnswered() {
  for (const { email } of legacyAccounts) {
    const user = await db.collection("users").findOne({ email });
    const stored = Object.keys(user!.sessions ?? {});
    const answered = everyOutcome.filter((outcome) => outcome.flow.name === "login" && outcome.email === email);
    const granted = answered.flatMap(({ sessionId }) => (sessionId ? [sessionId] : []));
    const refused = answered.filter(({ status }) => status === 503).length;
    const unanswered = stored.filter((id) => !granted.includes(String(id)));
    const missing = granted.filter((id) => !stored.includes(id));
    // A login past SESSIONS_PER_ACCOUNT ends the account's oldest: as many as the account had past it may be gone.
    const pastTheCap = Math.max(0, granted.length + unanswered.length - SESSIONS_PER_ACCOUNT);
    expect({ email, missing: missing.length, stored: stored.length <= SESSIONS_PER_ACCOUNT }).toEqual({
      email,
      missing: Math.min(missing.length, pastTheCap),
      stored: true,
    });
    expect({ email, withoutA503: unanswered.length <= refused }).toEqual({ email, withoutA503: true });
  }
}

describe.skipIf(!runnable)("faults under load", () => {
  for (const fault of faults)
    test(fault.name, async () => {
      const { outcomes, seen, injectedAt, healedAt, recoveredAt, readyAt } = await underFault(fault);
      everyOutcome.push(...outcomes);
      const during = outcomes.filter(({ startedAt }) => startedAt >= injectedAt && startedAt < healedAt);
      const readinessFell = seen.some(({ at, status }) => at >= injectedAt && at < healedAt + 1_000 && status !== 200);
      const row = {
        fault: fault.name,
        outcome: `held ${fault.holdMs / 1000} s: ${describeOutcome(during, readinessFell)}`,
        recovery: `${since(healedAt, recoveredAt)} (ready after ${since(healedAt, readyAt)})`,
      };
      rows.push(row);
      console.log(`${row.fault}: ${row.outcome}; back to 100% after ${row.recovery}`);

      // Every answer a documented one, in time, with Retry-After on 503.
      const undocumented = outcomes.filter(
        ({ flow, status }) => status === "no answer" || !documented[flow.operation]!.includes(String(status)),
      );
      expect(undocumented.map(({ flow, status }) => `${flow.name}: ${status}`)).toEqual([]);
      expect(outcomes.filter(({ status }) => status === 500)).toEqual([]);
      const slow = outcomes.filter(({ ms }) => ms > ANSWER_BOUND_MS);
      expect(slow.map(({ flow, ms }) => `${flow.name}: ${Math.round(ms)} ms`)).toEqual([]);
      const bare503 = outcomes.filter(({ status, retryAfter }) => status === 503 && !(Number(retryAfter) >= 1));
      expect(bare503.length).toBe(0);

      // Recovery by itself: readiness fell where it must and is back; success is back within the bound.
      if (fault.readinessFalls) expect(readinessFell).toBe(true);
      expect(readyAt).toBeDefined();
      expect(readyAt! - healedAt).toBeLessThanOrEqual(RECOVERY_BOUND_MS);
      expect(recoveredAt).toBeDefined();
      expect(recoveredAt! - healedAt).toBeLessThanOrEqual(RECOVERY_BOUND_MS);

      // Whatever ran before, in any order: nothing the suite has sent so far is lost or doubled.
      await expectNothingLostOrDoubled();
      await expectEverySessionAnswered();
    }, 60_000);

  test("the results table lists every fault this suite injects (UPDATE_FAULT_RESULTS=1 rewrites it)", () => {
    // The rows in the faults' order, whatever order the tests ran in; rewritten only from a run of every fault.
    const ordered = faults.flatMap(({ name }) => rows.filter((row) => row.fault === name));
    if (process.env.UPDATE_FAULT_RESULTS && ordered.length === faults.length)
      writeResults(
        ordered,
        `Written by \`services/users-api/test/faults.test.ts\` (UPDATE_FAULT_RESULTS=1) on ${new Date().toISOString().slice(0, 10)}: ` +
          `${WORKERS} workers sending ${flows.map(({ name }) => name).join(", ")} in turn; outcome counts are of ` +
          "requests sent while the fault lasted; recovery is from the fault's end (a restart done) to the last failed request.",
      );
    expect(faultsIn(committedTable())).toEqual(faults.map(({ name }) => name));
    console.log(formatTable(ordered));
  });
});
