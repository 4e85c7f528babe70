// The whole system as it runs: auth-api and users-api as their own processes on free ports, the
// real database, HTTP between them, auth-api at its default (production) hashing cost.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { freePort, startService, type RunningService as Service } from "@accounts/scripts/lib/processes";
import { INTERNAL_CREDENTIAL_PROBLEM } from "@accounts/shared";
import { HASH_QUEUE_PER_SLOT } from "@accounts/shared/limits";
import mongoose, { type Connection } from "mongoose";
import { availableParallelism } from "node:os";
import { generateSigningKey } from "@accounts/auth-api/keys/generate";
import { generateInternalToken } from "@accounts/shared/secrets";
import { mongodbOptions } from "../src/mongodb.ts";
import { mongodbUri } from "./database.ts";
import { startMailbox, type Mailbox } from "./mailbox.ts";
import { seedPassword, seedUser } from "./seed.ts";
import { encryptionKey, mailFrom, requestInit, type RequestOptions } from "./support.ts";

const internalToken = generateInternalToken();
const authPort = freePort();
let authEnv: Record<string, string>;
let authApi: Service;
let usersApi: Service;
let db: Connection;
let mailbox: Mailbox;
const seen: string[] = [];

async function call(method: string, path: string, options?: RequestOptions) {
  const response = await fetch(`${usersApi.url}${path}`, requestInit(method, options));
  const text = await response.text();
  seen.push(text, JSON.stringify([...response.headers]));
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  const url = new URL(mongodbUri());
  url.pathname = `/users_system_${crypto.randomUUID().slice(0, 8)}`;
  db = await mongoose.createConnection(url.toString(), mongodbOptions).asPromise();
  // Data the seed's Express services left behind, present before the new users-api first starts.
  await db.collection("users").insertOne(await seedUser("Seed@Example.com "));

  // Hashing bounds left at their defaults: the tests below hold for what a fresh deployment runs with.
  authEnv = { INTERNAL_TOKEN: internalToken, JWT_SIGNING_KEY: JSON.stringify((await generateSigningKey()).privateJwk) };
  authApi = await startService("auth-api", { port: authPort, env: authEnv });
  // The mail is read in email.test.ts; parsing it here would take CPU from auth-api's hashing at the default cost.
  mailbox = await startMailbox({ countOnly: true });
  usersApi = await startService("users-api", {
    env: {
      SMTP_URL: mailbox.url,
      MAIL_FROM: mailFrom,
      MONGODB_URI: url.toString(),
      AUTH_API_URL: authApi.url,
      INTERNAL_TOKEN: internalToken,
      MFA_ENCRYPTION_KEY: encryptionKey,
      AUTH_API_TIMEOUT_MS: "2000",
      // Every request here comes from 127.0.0.1, and the hash-queue flood below is some 70 sign-ups at once: past the
      // per-client sign-up limit (10 an hour), which throttling.test.ts covers. The logins (about a dozen) stay within theirs.
      SIGNUPS_PER_CLIENT_PER_HOUR: "1000",
    },
  });
}, 60_000);

afterAll(async () => {
  await usersApi?.stop();
  await authApi?.stop();
  await mailbox?.stop();
  await db.dropDatabase();
  await db.close();
});

describe("the seed's scenarios over HTTP", () => {
  test("sign-up, duplicate, validation failure", async () => {
    expect(
      await call("POST", "/signup", { body: { email: "Ada@Example.com", password: "correct horse battery" } }),
    ).toMatchObject({
      status: 201,
      body: { user: { email: "ada@example.com" } },
    });
    expect(
      (await call("POST", "/signup", { body: { email: "ada@example.com", password: "another password" } })).status,
    ).toBe(409);
    const invalid = await call("POST", "/signup", { body: { email: "ada", password: "short" } });
    expect(invalid.status).toBe(422);
    expect(invalid.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(["email", "password"]);
    // The sign-up's verification mail reached the SMTP server.
    for (const deadline = Date.now() + 5_000; mailbox.received() === 0 && Date.now() < deadline; ) await Bun.sleep(20);
    expect(mailbox.received()).toBe(1);
  });

  test("login success and failure, unknown and wrong alike", async () => {
    const ok = await call("POST", "/login", { body: { email: "ada@example.com", password: "correct horse battery" } });
    expect(ok).toMatchObject({ status: 200, body: { tokenType: "Bearer", expiresIn: 900 } });
    const wrong = await call("POST", "/login", { body: { email: "ada@example.com", password: "wrong password!" } });
    const unknown = await call("POST", "/login", {
      body: { email: "nobody@example.com", password: "wrong password!" },
    });
    expect([wrong.status, unknown.status]).toEqual([401, 401]);
    expect(unknown.body).toEqual(wrong.body);
  });

  test("delete failure (no token, no password, a wrong one) and success", async () => {
    await call("POST", "/signup", { body: { email: "grace@example.com", password: "correct horse battery" } });
    const { body: grace } = await call("POST", "/login", {
      body: { email: "grace@example.com", password: "correct horse battery" },
    });
    expect((await call("DELETE", "/user", { body: { password: "correct horse battery" } })).status).toBe(401);
    expect((await call("DELETE", "/user", { token: grace.token })).status).toBe(403);
    expect(
      (await call("DELETE", "/user", { token: grace.token, body: { password: "wrong horse battery" } })).status,
    ).toBe(403);
    expect((await call("GET", "/user", { token: grace.token })).body.user.email).toBe("grace@example.com");
    expect(
      (await call("DELETE", "/user", { token: grace.token, body: { password: "correct horse battery" } })).status,
    ).toBe(204);
    expect((await call("GET", "/user", { token: grace.token })).status).toBe(401);
    expect(
      (await call("POST", "/login", { body: { email: "grace@example.com", password: "correct horse battery" } }))
        .status,
    ).toBe(401);
    expect(
      (await call("POST", "/signup", { body: { email: "grace@example.com", password: "correct horse battery" } }))
        .status,
    ).toBe(201);
  });
});

test("a seed-era document: found by its normalized address, logs in, its bcrypt hash upgraded to argon2id", async () => {
  const stored = await db.collection("users").findOne({ email: "seed@example.com" });
  expect(stored?.password).toStartWith("$2a$");
  const { status, body } = await call("POST", "/login", {
    body: { email: "seed@example.com", password: seedPassword },
  });
  expect(status).toBe(200);
  expect(body.userId).toBe(String(stored?._id));
  expect((await db.collection("users").findOne({ _id: stored!._id }))?.password).toStartWith(
    "$argon2id$v=19$m=19456,t=2,",
  );
  expect((await call("POST", "/login", { body: { email: "seed@example.com", password: seedPassword } })).status).toBe(
    200,
  );
});

test("a session over HTTP: refresh, list, password change, logout", async () => {
  const login = await call("POST", "/login", { body: { email: "ada@example.com", password: "correct horse battery" } });
  const refreshed = await call("POST", "/refresh", { body: { refreshToken: login.body.refreshToken } });
  expect(refreshed).toMatchObject({ status: 200, body: { sessionId: login.body.sessionId, expiresIn: 900 } });
  const { token } = refreshed.body;
  const listed = await call("GET", "/sessions", { token });
  expect(listed.status).toBe(200);
  // Over a real socket, the session records where it came from.
  expect(listed.body.sessions.find(({ current }: { current: boolean }) => current)).toMatchObject({
    id: login.body.sessionId,
    ip: expect.stringMatching(/^(::ffff:)?127\.0\.0\.1$|^::1$/),
  });
  const changed = await call("PUT", "/user/password", {
    token,
    body: { currentPassword: "correct horse battery", newPassword: "correct horse battery" },
  });
  expect(changed.status).toBe(200);
  expect((await call("POST", "/logout", { token, body: { scope: "global" } })).status).toBe(204);
  expect((await call("GET", "/user", { token })).status).toBe(401);
});

test("ten concurrent sign-ups of one address: one 201, nine 409", async () => {
  const results = await Promise.all(
    Array.from({ length: 10 }, () =>
      call("POST", "/signup", { body: { email: "race@example.com", password: "correct horse battery" } }),
    ),
  );
  expect(results.map(({ status }) => status).sort()).toEqual([201, ...Array(9).fill(409)]);
});

test("a full hash queue in auth-api reaches the client as 503 with Retry-After", async () => {
  // The default bound is one hash per core running and HASH_QUEUE_PER_SLOT per core waiting: of five times that
  // many sign-ups at once, some cannot even queue. (Twice was not always enough: users-api's own work before the hash
  // spreads the arrivals at auth-api, and on a busy machine the first hashes finished while the last ones arrived.)
  const bound = availableParallelism() * (1 + HASH_QUEUE_PER_SLOT);
  const results = await Promise.all(
    Array.from({ length: 5 * bound }, (_, i) =>
      call("POST", "/signup", { body: { email: `flood${i}@example.com`, password: "correct horse battery" } }),
    ),
  );
  const refused = results.filter(({ status }) => status === 503);
  expect(refused.length).toBeGreaterThan(0);
  expect(results.filter(({ status }) => status === 201).length).toBeGreaterThanOrEqual(10);
  for (const { headers, body } of refused) {
    expect(Number(headers.get("retry-after"))).toBeGreaterThan(0);
    expect(body).toMatchObject({ status: 503, title: "Service Unavailable" });
  }
  // users-api now refuses sign-ups and logins until auth-api's Retry-After has passed; the tests below need them.
  await Bun.sleep(1000 * Math.max(...refused.map(({ headers }) => Number(headers.get("retry-after")))));
}, 30_000);

test("the request id travels users-api → auth-api and back", async () => {
  const { headers } = await call("POST", "/signup", {
    body: { email: "traced@example.com", password: "correct horse battery" },
    headers: { "x-request-id": "trace-system-7" },
  });
  expect(headers.get("x-request-id")).toBe("trace-system-7");
  const deadline = Date.now() + 2_000;
  while (!authApi.output.some((line) => line.includes("trace-system-7")) && Date.now() < deadline) await Bun.sleep(20);
  const authLine = authApi.logs().find((line) => line.requestId === "trace-system-7");
  expect(authLine).toMatchObject({ route: "/hashed-pw", status: 200, service: "auth-api" });
});

test("auth-api refuses calls without the internal credential", async () => {
  const response = await fetch(`${authApi.url}/hashed-pw`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ password: "correct horse battery" }),
  });
  expect(response.status).toBe(401);
  expect(await response.json()).toMatchObject({ type: INTERNAL_CREDENTIAL_PROBLEM });
});

test("auth-api down: users-api answers 503 quickly and is not ready; both recover when it returns", async () => {
  expect(await authApi.stop()).toBe(0);
  const started = performance.now();
  const signUp = await call("POST", "/signup", {
    body: { email: "outage@example.com", password: "correct horse battery" },
  });
  expect(signUp.status).toBe(503);
  expect(signUp.headers.get("content-type")).toBe("application/problem+json");
  expect(performance.now() - started).toBeLessThan(3_000);
  expect((await call("GET", "/ready")).status).toBe(503);

  authApi = await startService("auth-api", { port: authPort, env: authEnv });
  expect((await call("GET", "/ready")).status).toBe(200);
  expect(
    (await call("POST", "/signup", { body: { email: "outage@example.com", password: "correct horse battery" } }))
      .status,
  ).toBe(201);
}, 30_000);

test("no response and no log line of either service carries a password, hash, token or key", async () => {
  const tokens = seen.flatMap((text) => [...text.matchAll(/"(?:token|refreshToken)":"([^"]+)"/g)].map((m) => m[1]!));
  const hashes = (await db.collection("users").find({}).toArray()).map((user) => user.password as string);
  expect(tokens.length).toBeGreaterThan(0);
  const logs = [...authApi.output, ...usersApi.output].join("\n");
  const responses = seen.filter((text) => !text.includes('"token":"')).join("\n");
  for (const secret of [
    internalToken,
    authEnv.JWT_SIGNING_KEY!,
    JSON.parse(authEnv.JWT_SIGNING_KEY!).d,
    seedPassword,
    "correct horse battery",
    "wrong password!",
    ...hashes,
    ...tokens,
  ]) {
    expect(logs).not.toContain(secret);
    expect(responses).not.toContain(secret);
  }
  expect(`${logs}\n${responses}`).not.toMatch(/\$argon2id\$|\$2[aby]\$|mongodb:\/\//);
});

async function hashesInFlight(): Promise<number> {
  const metrics = await (await fetch(`${authApi.url}/metrics`)).text();
  return Number(/^password_hashes_in_flight (\d+)$/m.exec(metrics)?.[1] ?? 0);
}

test("SIGTERM: users-api finishes the logins in flight, then both services exit 0", async () => {
  // At the default cost each login's verification takes tens of milliseconds, and twice as many logins
  // as auth-api has slots keep some waiting: users-api is surely still serving them when SIGTERM arrives.
  const logIns = Array.from({ length: 2 * availableParallelism() }, () =>
    call("POST", "/login", { body: { email: "ada@example.com", password: "correct horse battery" } }),
  );
  for (const deadline = Date.now() + 5_000; (await hashesInFlight()) === 0 && Date.now() < deadline; )
    await Bun.sleep(2);
  const exitCode = usersApi.stop();
  expect((await Promise.all(logIns)).map(({ status }) => status)).toEqual(logIns.map(() => 200));
  expect(await exitCode).toBe(0);
  // Login lines logged after "shutting down": those requests were in flight when the signal came.
  const logs = usersApi.logs();
  const shutdown = logs.findIndex((line) => line.msg === "shutting down");
  expect(shutdown).toBeGreaterThanOrEqual(0);
  expect(logs.slice(shutdown).filter((line) => line.route === "/login" && line.status === 200).length).toBeGreaterThan(
    0,
  );

  expect(await authApi.stop()).toBe(0);
  expect(usersApi.output.some((line) => line.includes('"msg":"stopped"'))).toBe(true);
});
