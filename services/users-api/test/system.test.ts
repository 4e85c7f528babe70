// The whole system as it runs: auth-api and users-api as their own processes on free ports, the
// real database, HTTP between them, auth-api at its default (production) hashing cost. Most tests share one such
// system, each with accounts of its own; a test that stops a process or floods it starts a system of its own.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { freePort, startService, type RunningService } from "@accounts/scripts/lib/processes";
import { INTERNAL_CREDENTIAL_PROBLEM } from "@accounts/shared";
import { HASH_QUEUE_PER_SLOT } from "@accounts/shared/limits";
import { waitFor } from "@accounts/shared/testing";
import type { Connection } from "mongoose";
import { availableParallelism } from "node:os";
import { generateSigningKey } from "@accounts/auth-api/keys/generate";
import { generateInternalToken } from "@accounts/shared/secrets";
import { uniqueEmail } from "./addresses.ts";
import { startMailbox, type Mailbox } from "./mailbox.ts";
import { processDatabase } from "./process-database.ts";
import { seedPassword, seedUser } from "./seed.ts";
import { requestInit, sharedMailbox, usersApiProcessEnv, type RequestOptions } from "./support.ts";

const password = "correct horse battery";
/** Every password the tests send: none may appear in an answer or a log line. */
const passwords = [seedPassword, password, "another password", "wrong horse battery", "wrong password!"];

/**
 * auth-api, its hashing bounds at their defaults (what a fresh deployment runs with), and users-api, as processes on
 * free ports, with a database and secrets of their own. `call` speaks HTTP to users-api and keeps every answer, for
 * `expectNoSecrets`. `before` writes to the database before users-api first starts (what the seed left behind).
 */
async function startSystem(label: string, smtpUrl: string, before?: (db: Connection) => Promise<unknown>) {
  const internalToken = generateInternalToken();
  const signingKey = JSON.stringify((await generateSigningKey()).privateJwk);
  const authPort = freePort();
  const database = await processDatabase(`users_system_${label}`);
  const processes: RunningService[] = [];
  let ended: Promise<void> | undefined;
  /** Kills what still runs (no graceful stop: nothing is asserted on it) and drops the database. */
  const end = () =>
    (ended ??= (async () => {
      await Promise.all(processes.map((process) => process.kill()));
      await database.drop();
    })());
  const started = (service: RunningService) => {
    processes.push(service);
    return service;
  };
  const startAuthApi = () =>
    startService("auth-api", {
      port: authPort,
      env: { INTERNAL_TOKEN: internalToken, JWT_SIGNING_KEY: signingKey },
    }).then(started);

  let authApi: RunningService;
  let usersApi: RunningService;
  try {
    await before?.(database.db);
    // Side by side: users-api needs auth-api's address (known up front), not auth-api, to start.
    const starting = [
      startAuthApi(),
      startService("users-api", {
        env: {
          ...usersApiProcessEnv(),
          SMTP_URL: smtpUrl,
          MONGODB_URI: database.uri,
          AUTH_API_URL: `http://127.0.0.1:${authPort}`,
          INTERNAL_TOKEN: internalToken,
          AUTH_API_TIMEOUT_MS: "2000",
        },
      }).then(started),
    ] as const;
    // On a failure, what did start is stopped once the other has settled.
    [authApi, usersApi] = await Promise.all(starting).finally(() => Promise.allSettled(starting));
  } catch (error) {
    await end();
    throw error;
  }

  /** Each answer's body and headers, and its request id. */
  const answers: { requestId: string; texts: string[] }[] = [];
  return {
    db: database.db,
    internalToken,
    signingKey,
    get authApi() {
      return authApi;
    },
    usersApi,
    /** Every process the system has run, restarted ones included. */
    processes,
    answers,
    async call(method: string, path: string, options?: RequestOptions) {
      const response = await fetch(`${usersApi.url}${path}`, requestInit(method, options));
      const text = await response.text();
      answers.push({
        requestId: response.headers.get("x-request-id") ?? "",
        texts: [text, JSON.stringify([...response.headers])],
      });
      return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
    },
    /** Starts auth-api again, at the address users-api knows. */
    async restartAuthApi() {
      authApi = await startAuthApi();
    },
    end,
  };
}

type System = Awaited<ReturnType<typeof startSystem>>;

/**
 * Fails if an answer `system` gave or a line any of its processes wrote carries a password, a stored hash, a token
 * it issued, the internal credential or the signing key. Answers the tokens, hashes and log text it checked.
 */
async function expectNoSecrets(system: System) {
  // users-api logs each request just after answering it: wait for those lines, so every answer's is read.
  await waitFor(() => {
    const logged = new Set(system.usersApi.logs().map((line) => line.requestId));
    return system.answers.every(({ requestId }) => logged.has(requestId));
  }, "users-api's log line for every answer it gave");
  const texts = system.answers.flatMap(({ texts }) => texts);
  const tokens = texts.flatMap((text) => [...text.matchAll(/"(?:token|refreshToken)":"([^"]+)"/g)].map((m) => m[1]!));
  const hashes = (await system.db.collection("users").find({}).toArray()).map((user) => user.password as string);
  const logs = system.processes.flatMap((process) => process.output).join("\n");
  const answers = texts.filter((text) => !text.includes('"token":"')).join("\n");
  for (const secret of [
    system.internalToken,
    system.signingKey,
    JSON.parse(system.signingKey).d,
    ...passwords,
    ...hashes,
    ...tokens,
  ]) {
    expect(logs).not.toContain(secret);
    expect(answers).not.toContain(secret);
  }
  expect(`${logs}\n${answers}`).not.toMatch(/\$argon2id\$|\$2[aby]\$|mongodb:\/\//);
  return { tokens, hashes, logs };
}

let shared: System;
/** Where the systems of single tests send mail: counted, not parsed, so the CPU stays with auth-api's hashing. */
let quietMailbox: Mailbox;
/** The systems the running test started, ended after it. */
let ownSystems: System[] = [];

/** A system for this test alone, for one that stops or floods a process. */
async function ownSystem(label: string) {
  const system = await startSystem(label, quietMailbox.url);
  ownSystems.push(system);
  return system;
}

beforeAll(async () => {
  quietMailbox = await startMailbox({ countOnly: true });
  // Data the seed's Express services left behind, present before the new users-api first starts.
  shared = await startSystem("shared", sharedMailbox.url, async (db) =>
    db.collection("users").insertOne(await seedUser("Seed@Example.com ")),
  );
}, 60_000);

// After each test, the systems it could have used are checked for secrets (the shared one in full): every test's
// answers and log lines are, whatever order the tests run in.
afterEach(async () => {
  const started = ownSystems;
  ownSystems = [];
  try {
    for (const system of [shared, ...started]) if (system) await expectNoSecrets(system);
  } finally {
    await Promise.all(started.map((system) => system.end()));
  }
});

afterAll(async () => {
  await shared?.end();
  await quietMailbox?.stop();
});

describe("the seed's scenarios over HTTP", () => {
  test("sign-up, duplicate, validation failure", async () => {
    const typed = `Ada-${crypto.randomUUID().slice(0, 8)}@Example.com`;
    const email = typed.toLowerCase();
    expect(await shared.call("POST", "/signup", { body: { email: typed, password } })).toMatchObject({
      status: 201,
      body: { user: { email } },
    });
    expect((await shared.call("POST", "/signup", { body: { email, password: "another password" } })).status).toBe(409);
    const invalid = await shared.call("POST", "/signup", { body: { email: "ada", password: "short" } });
    expect(invalid.status).toBe(422);
    expect(invalid.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(["email", "password"]);
    // The sign-up's verification mail reached the SMTP server, once.
    await sharedMailbox.next(email);
    expect(sharedMailbox.to(email)).toHaveLength(1);
  });

  test("login success and failure, unknown and wrong alike", async () => {
    const email = uniqueEmail("ada");
    expect((await shared.call("POST", "/signup", { body: { email, password } })).status).toBe(201);
    const ok = await shared.call("POST", "/login", { body: { email, password } });
    expect(ok).toMatchObject({ status: 200, body: { tokenType: "Bearer", expiresIn: 900 } });
    const wrong = await shared.call("POST", "/login", { body: { email, password: "wrong password!" } });
    const unknown = await shared.call("POST", "/login", {
      body: { email: uniqueEmail("nobody"), password: "wrong password!" },
    });
    expect([wrong.status, unknown.status]).toEqual([401, 401]);
    expect(unknown.body).toEqual(wrong.body);
  });

  test("delete failure (no token, no password, a wrong one) and success", async () => {
    const email = uniqueEmail("grace");
    await shared.call("POST", "/signup", { body: { email, password } });
    const { body: grace } = await shared.call("POST", "/login", { body: { email, password } });
    expect((await shared.call("DELETE", "/user", { body: { password } })).status).toBe(401);
    expect((await shared.call("DELETE", "/user", { token: grace.token })).status).toBe(403);
    expect(
      (await shared.call("DELETE", "/user", { token: grace.token, body: { password: "wrong horse battery" } })).status,
    ).toBe(403);
    expect((await shared.call("GET", "/user", { token: grace.token })).body.user.email).toBe(email);
    expect((await shared.call("DELETE", "/user", { token: grace.token, body: { password } })).status).toBe(204);
    expect((await shared.call("GET", "/user", { token: grace.token })).status).toBe(401);
    expect((await shared.call("POST", "/login", { body: { email, password } })).status).toBe(401);
    expect((await shared.call("POST", "/signup", { body: { email, password } })).status).toBe(201);
  });
});

test("a seed-era document: found by its normalized address, logs in, its bcrypt hash upgraded to argon2id", async () => {
  const stored = await shared.db.collection("users").findOne({ email: "seed@example.com" });
  expect(stored?.password).toStartWith("$2a$");
  const { status, body } = await shared.call("POST", "/login", {
    body: { email: "seed@example.com", password: seedPassword },
  });
  expect(status).toBe(200);
  expect(body.userId).toBe(String(stored?._id));
  expect((await shared.db.collection("users").findOne({ _id: stored!._id }))?.password).toStartWith(
    "$argon2id$v=19$m=19456,t=2,",
  );
  expect(
    (await shared.call("POST", "/login", { body: { email: "seed@example.com", password: seedPassword } })).status,
  ).toBe(200);
});

test("a session over HTTP: refresh, list, password change, logout", async () => {
  const email = uniqueEmail("session");
  expect((await shared.call("POST", "/signup", { body: { email, password } })).status).toBe(201);
  const login = await shared.call("POST", "/login", { body: { email, password } });
  const refreshed = await shared.call("POST", "/refresh", { body: { refreshToken: login.body.refreshToken } });
  expect(refreshed).toMatchObject({ status: 200, body: { sessionId: login.body.sessionId, expiresIn: 900 } });
  const { token } = refreshed.body;
  const listed = await shared.call("GET", "/sessions", { token });
  expect(listed.status).toBe(200);
  // Over a real socket, the session records where it came from.
  expect(listed.body.sessions.find(({ current }: { current: boolean }) => current)).toMatchObject({
    id: login.body.sessionId,
    ip: expect.stringMatching(/^(::ffff:)?127\.0\.0\.1$|^::1$/),
  });
  const changed = await shared.call("PUT", "/user/password", {
    token,
    body: { currentPassword: password, newPassword: password },
  });
  expect(changed.status).toBe(200);
  expect((await shared.call("POST", "/logout", { token, body: { scope: "global" } })).status).toBe(204);
  expect((await shared.call("GET", "/user", { token })).status).toBe(401);
});

test("ten concurrent sign-ups of one address: one 201, nine 409", async () => {
  const email = uniqueEmail("race");
  const results = await Promise.all(
    Array.from({ length: 10 }, () => shared.call("POST", "/signup", { body: { email, password } })),
  );
  expect(results.map(({ status }) => status).sort()).toEqual([201, ...Array(9).fill(409)]);
});

test("a full hash queue in auth-api reaches the client as 503 with Retry-After", async () => {
  // A system of its own: users-api learns from the 503s to hold sign-ups and logins back for a while.
  const system = await ownSystem("flood");
  // The default bound is one hash per core running and HASH_QUEUE_PER_SLOT per core waiting: of five times that
  // many sign-ups at once, some cannot even queue. (Twice was not always enough: users-api's own work before the hash
  // spreads the arrivals at auth-api, and on a busy machine the first hashes finished while the last ones arrived.)
  const bound = availableParallelism() * (1 + HASH_QUEUE_PER_SLOT);
  const results = await Promise.all(
    Array.from({ length: 5 * bound }, (_, i) =>
      system.call("POST", "/signup", { body: { email: `flood${i}@example.com`, password } }),
    ),
  );
  const refused = results.filter(({ status }) => status === 503);
  expect(refused.length).toBeGreaterThan(0);
  expect(results.filter(({ status }) => status === 201).length).toBeGreaterThanOrEqual(10);
  for (const { headers, body } of refused) {
    expect(Number(headers.get("retry-after"))).toBeGreaterThan(0);
    expect(body).toMatchObject({ status: 503, title: "Service Unavailable" });
  }
});

test("the request id travels users-api → auth-api and back", async () => {
  const requestId = `trace-system-${crypto.randomUUID().slice(0, 8)}`;
  const { headers } = await shared.call("POST", "/signup", {
    body: { email: uniqueEmail("traced"), password },
    headers: { "x-request-id": requestId },
  });
  expect(headers.get("x-request-id")).toBe(requestId);
  const authLine = await waitFor(
    () => shared.authApi.logs().find((line) => line.requestId === requestId),
    "auth-api's log line for the sign-up's hash",
  );
  expect(authLine).toMatchObject({ route: "/hashed-pw", status: 200, service: "auth-api" });
});

test("auth-api refuses calls without the internal credential", async () => {
  const response = await fetch(`${shared.authApi.url}/hashed-pw`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ password }),
  });
  expect(response.status).toBe(401);
  expect(await response.json()).toMatchObject({ type: INTERNAL_CREDENTIAL_PROBLEM });
});

test("auth-api down: users-api answers 503 quickly and is not ready; both recover when it returns", async () => {
  const system = await ownSystem("outage");
  const email = uniqueEmail("outage");
  expect(await system.authApi.stop()).toBe(0);
  const started = performance.now();
  const signUp = await system.call("POST", "/signup", { body: { email, password } });
  expect(signUp.status).toBe(503);
  expect(signUp.headers.get("content-type")).toBe("application/problem+json");
  expect(performance.now() - started).toBeLessThan(3_000);
  expect((await system.call("GET", "/ready")).status).toBe(503);

  await system.restartAuthApi();
  expect((await system.call("GET", "/ready")).status).toBe(200);
  expect((await system.call("POST", "/signup", { body: { email, password } })).status).toBe(201);
}, 30_000);

test("no response and no log line of either service carries a password, hash, token or key", async () => {
  // Traffic of its own through the routes that handle secrets; the check after each test reads every system's too.
  const email = uniqueEmail("secrets");
  const seedEra = await seedUser(uniqueEmail("seed-era"));
  await shared.db.collection("users").insertOne(seedEra);
  const hashing = `secrets-${crypto.randomUUID().slice(0, 8)}`;
  expect(
    (await shared.call("POST", "/signup", { body: { email, password }, headers: { "x-request-id": hashing } })).status,
  ).toBe(201);
  expect((await shared.call("POST", "/login", { body: { email, password: "wrong password!" } })).status).toBe(401);
  expect(
    (await shared.call("POST", "/login", { body: { email: uniqueEmail("nobody"), password: "wrong password!" } }))
      .status,
  ).toBe(401);
  const login = await shared.call("POST", "/login", { body: { email, password } });
  const { token } = (await shared.call("POST", "/refresh", { body: { refreshToken: login.body.refreshToken } })).body;
  expect((await shared.call("GET", "/sessions", { token })).status).toBe(200);
  expect(
    (
      await shared.call("PUT", "/user/password", {
        token,
        body: { currentPassword: password, newPassword: "another password" },
      })
    ).status,
  ).toBe(200);
  // A seed-era login: a bcrypt check, then the hash upgraded.
  expect((await shared.call("POST", "/login", { body: { email: seedEra.email, password: seedPassword } })).status).toBe(
    200,
  );

  // auth-api's line for the sign-up's hash is written after users-api has its answer: wait for it too.
  await waitFor(
    () => shared.authApi.logs().some((line) => line.requestId === hashing),
    "auth-api's log line for the sign-up's hash",
  );
  const { tokens, hashes, logs } = await expectNoSecrets(shared);
  // What was checked holds this test's tokens, its accounts' hashes and both services' lines for its requests.
  expect(tokens).toContain(token);
  expect(hashes.filter((hash) => hash.startsWith("$argon2id$")).length).toBeGreaterThanOrEqual(2);
  expect(logs).toContain(hashing);
  expect(logs).not.toContain(seedEra.password);
});

async function hashesInFlight(authUrl: string): Promise<number> {
  const metrics = await (await fetch(`${authUrl}/metrics`)).text();
  return Number(/^password_hashes_in_flight (\d+)$/m.exec(metrics)?.[1] ?? 0);
}

test("SIGTERM: users-api finishes the logins in flight, then both services exit 0", async () => {
  const system = await ownSystem("sigterm");
  const email = uniqueEmail("in-flight");
  expect((await system.call("POST", "/signup", { body: { email, password } })).status).toBe(201);
  // At the default cost each login's verification takes tens of milliseconds, and twice as many logins
  // as auth-api has slots keep some waiting: users-api is surely still serving them when SIGTERM arrives.
  const logIns = Array.from({ length: 2 * availableParallelism() }, () =>
    system.call("POST", "/login", { body: { email, password } }),
  );
  await waitFor(async () => (await hashesInFlight(system.authApi.url)) > 0, "a login's hash in flight in auth-api");
  const exitCode = system.usersApi.stop();
  expect((await Promise.all(logIns)).map(({ status }) => status)).toEqual(logIns.map(() => 200));
  expect(await exitCode).toBe(0);
  // Login lines logged after "shutting down": those requests were in flight when the signal came.
  const logs = system.usersApi.logs();
  const shutdown = logs.findIndex((line) => line.msg === "shutting down");
  expect(shutdown).toBeGreaterThanOrEqual(0);
  expect(logs.slice(shutdown).filter((line) => line.route === "/login" && line.status === 200).length).toBeGreaterThan(
    0,
  );

  expect(await system.authApi.stop()).toBe(0);
  expect(system.usersApi.output.some((line) => line.includes('"msg":"stopped"'))).toBe(true);
});
