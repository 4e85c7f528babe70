// `bun run bench [--seconds 10]`: starts the system as `bun run dev` does but with production settings on free
// ports, drives it with autocannon, measures the hashing limit in between, and writes bench/results/.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startSystem } from "../../scripts/lib/system.ts";
import { AuthConfigSchema, HASH_QUEUE_PER_SLOT } from "../../services/auth-api/src/config.ts";
import { UsersConfigSchema } from "../../services/users-api/src/config.ts";
import { databaseLimits, type DatabaseLimitRun } from "./database-limit.ts";
import type { HashLimit } from "./hash-limit.ts";
import { getHealth, getUser, logIn, refresh, signUp, type LoadResult } from "./load.ts";
import { processCpuSeconds, systemCpuSeconds, watchForeignCpu } from "./cpu.ts";
import { describeMachine } from "./machine.ts";
import { sampleRss } from "./memory.ts";
import {
  renderMarkdown,
  type HashingRun,
  type HashLimitRun,
  type Measurements,
  type ObservedRun,
  type Service,
} from "./report.ts";
import { ratio } from "./stats.ts";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "10" } } });
const seconds = Number(values.seconds);
if (!(seconds > 0)) throw new Error("--seconds must be a positive number");

// Production settings are the services' defaults: drop any tuning a developer's shell exports (a lower
// hash cost, debug logs). MONGODB_URI stays: it picks the database, as for `bun run dev`.
for (const name of [...Object.keys(AuthConfigSchema.properties), ...Object.keys(UsersConfigSchema.properties)]) {
  if (name !== "MONGODB_URI") delete process.env[name];
}
const hashConcurrency = Number(AuthConfigSchema.properties.HASH_CONCURRENCY.default);
const settings: Measurements["settings"] = {
  secondsPerRun: seconds,
  hashMemoryKiB: Number(AuthConfigSchema.properties.HASH_MEMORY_KIB.default),
  hashTimeCost: Number(AuthConfigSchema.properties.HASH_TIME_COST.default),
  hashConcurrency,
  hashQueueLimit: HASH_QUEUE_PER_SLOT * hashConcurrency, // auth-api's default when HASH_QUEUE_LIMIT is unset
  logLevel: String(UsersConfigSchema.properties.LOG_LEVEL.default),
  database: process.env.MONGODB_URI ? "MONGODB_URI" : "FerretDB 1.24 on SQLite (started by the bench)",
};
const capacity = settings.hashConcurrency + settings.hashQueueLimit;
// Within capacity: one request at a time (latency without waiting), as many as hash at once, enough to fill the queue too.
const hashingConnections = [...new Set([1, settings.hashConcurrency, capacity])];
const fastConnections = [10, 100];
const overloadConnections = 10 * capacity;
const password = "bench-password-correct-horse";

const machine = describeMachine();
const startedAt = new Date().toISOString();
const usersPort = freePort();
const authPort = freePort();
const usersUrl = `http://127.0.0.1:${usersPort}`;
const authUrl = `http://127.0.0.1:${authPort}`;

console.log(`Starting the system (users-api :${usersPort}, auth-api :${authPort}), ${seconds} s per run…`);
const system = await startSystem({ usersPort, authPort, logs: "ignore" });
const pids = {
  "auth-api": system.services["auth-api"].pid,
  "users-api": system.services["users-api"].pid,
} satisfies Record<Service, number>;

let measurements: Measurements;
try {
  measurements = await measure();
} finally {
  await system.stop();
}

const name = `${startedAt.slice(0, 10)}-${machine.commit}`;
const resultsDir = join(import.meta.dir, "../results");
mkdirSync(resultsDir, { recursive: true });
const markdown = renderMarkdown(measurements);
const json = `${JSON.stringify(measurements, null, 2)}\n`;
for (const base of [name, "latest"]) {
  writeFileSync(join(resultsDir, `${base}.md`), markdown);
  writeFileSync(join(resultsDir, `${base}.json`), json);
}
console.log(`\n${markdown}\nWritten to bench/results/${name}.md and .json (and latest.*).`);

async function measure(): Promise<Measurements> {
  const runId = Date.now().toString(36);
  // A few accounts, so the logins are not all for one document.
  const users = Array.from({ length: 8 }, (_, i) => ({ email: `bench-${runId}-login-${i}@example.com`, password }));
  for (const user of users) await post("/signup", user, 201);
  const { token, userId, sessionId } = (await post("/login", users[0], 200)) as Record<string, string>;
  // A session chain of its own for every refresh connection, plus the warm-up's.
  const refreshTokens: string[] = [];
  for (let i = 0; i < 10 + fastConnections.reduce((sum, n) => sum + n, 0); i++)
    refreshTokens.push(((await post("/login", users[0], 200)) as { refreshToken: string }).refreshToken);
  const database = await databaseLimits(system.mongodbUri, {
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
      await step(`GET /user's query alone, ${connections} at once`, () => database.caller(connections, seconds)),
    );
    const chains = refreshTokens.splice(0, connections);
    refreshes.push(
      await observe(`POST /refresh, ${connections} connections`, () => refresh(usersUrl, connections, seconds, chains)),
    );
    databaseLimit.rotation.push(
      await step(`POST /refresh's update alone, ${connections} at once`, () => database.rotation(connections, seconds)),
    );
  }
  await database.close();
  const signUps = await hashingRuns("hash", "POST /signup", (connections) =>
    signUp(usersUrl, connections, seconds, password, `${runId}-${connections}`),
  );
  const logIns = await hashingRuns("verify", "POST /login", (connections) =>
    logIn(usersUrl, connections, seconds, users),
  );
  // Unrecorded: the first seconds of a flood grow memory for its connections once; what matters is what follows.
  await logIn(usersUrl, overloadConnections, seconds, users);
  const overload = await flood(`POST /login flood, ${overloadConnections} connections`, () =>
    logIn(usersUrl, overloadConnections, seconds, users),
  );

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
    overload,
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
async function observe(label: string, run: () => Promise<LoadResult>): Promise<ObservedRun> {
  const stopSampling = sampleRss(pids);
  const before = cpuSeconds();
  const load = await step(label, run);
  const after = cpuSeconds();
  const responses = Object.values(load.statuses).reduce((sum, count) => sum + count, 0);
  const perResponse = (part: keyof typeof before) => ratio((after[part] - before[part]) * 1000, responses);
  return {
    load,
    rss: stopSampling(),
    cpuMsPerResponse: {
      "auth-api": perResponse("auth-api"),
      "users-api": perResponse("users-api"),
      system: perResponse("system"),
    },
  };
}

function cpuSeconds() {
  return {
    "auth-api": processCpuSeconds(pids["auth-api"]),
    "users-api": processCpuSeconds(pids["users-api"]),
    system: systemCpuSeconds(),
  };
}

async function flood(label: string, run: () => Promise<LoadResult>): Promise<Measurements["overload"]> {
  let maxHashesInFlight = 0;
  let maxHashesQueued = 0;
  let flooding = true;
  const watchMetrics = (async () => {
    while (flooding) {
      const metrics = await fetch(`${authUrl}/metrics`).then(
        (response) => response.text(),
        () => "",
      );
      maxHashesInFlight = Math.max(maxHashesInFlight, gauge(metrics, "password_hashes_in_flight"));
      maxHashesQueued = Math.max(maxHashesQueued, gauge(metrics, "password_hashes_queued"));
      await Bun.sleep(200);
    }
  })();
  const observed = await observe(label, run);
  flooding = false;
  await watchMetrics;
  return { ...observed, maxHashesInFlight, maxHashesQueued };
}

/** Runs the hashing limit in its own process, at the cost auth-api runs with. */
async function hashLimit(operation: "hash" | "verify"): Promise<HashLimitRun> {
  const foreignCpu = watchForeignCpu();
  const child = Bun.spawn(
    [
      "bun",
      join(import.meta.dir, "hash-limit.ts"),
      operation,
      String(settings.hashMemoryKiB),
      String(settings.hashTimeCost),
      String(seconds),
    ],
    { stdout: "pipe", stderr: "inherit" },
  );
  const [output, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
  if (code !== 0) throw new Error(`hash-limit.ts exited with code ${code}`);
  const { perSecond, cpuMsPerOperation } = JSON.parse(output) as HashLimit;
  return { perSecond, cpuMsPerOperation, foreignCpu: foreignCpu() };
}

async function step<T extends { perSecond: number; foreignCpu: number }>(
  label: string,
  run: () => Promise<T>,
): Promise<T> {
  process.stdout.write(`  ${label}… `);
  const result = await run();
  console.log(`${result.perSecond.toFixed(1)}/s (other load ${(result.foreignCpu * 100).toFixed(0)}%)`);
  return result;
}

async function post(path: string, body: unknown, expected: number): Promise<unknown> {
  const response = await fetch(`${usersUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (response.status !== expected)
    throw new Error(`POST ${path} answered ${response.status}, expected ${expected}: ${await response.text()}`);
  return response.json();
}

function gauge(metrics: string, name: string): number {
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(metrics);
  return match ? Number(match[1]) : 0;
}

function freePort(): number {
  const server = Bun.serve({ port: 0, fetch: () => new Response() });
  const { port } = server;
  server.stop(true);
  return port!;
}
