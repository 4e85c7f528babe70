// Throttling through app.handle with the real auth-api (in this process, behind a proxy that counts its calls)
// and a real database. Time is the app's injected clock, moved on by the tests, so waits are exact and instant.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import type { Connection } from "mongoose";
import { loadUsersConfig } from "../src/config.ts";
import { newSecretToken } from "../src/secret-token.ts";
import { prepareThrottlingCollections } from "../src/throttling/collection.ts";
import { delayAfter, throttlingRules } from "../src/throttling/rules.ts";
import { auditEventsCollectionName } from "../src/audit/collection.ts";
import { connectTestDatabase, dropTestDatabase, isFerretDB } from "./database.ts";
import { captureLogger } from "@accounts/shared/testing";
import { buildUsersApp, encryptionKey, movableClock, request, startAuthApi } from "./support.ts";
import { prepareDatabase } from "../src/prepare.ts";

const password = "correct horse battery";
const wrong = "wrong password!";
const MINUTE = 60_000;

let db: Connection;
let authApi: Awaited<ReturnType<typeof startAuthApi>>;
let proxy: ReturnType<typeof Bun.serve>;
/** Calls that reached auth-api, by path. */
const authCalls: string[] = [];
/**
 * Database operations users-api ran, as `collection.method`, while `recording`; but the audit trail's: its buffer is
 * stored on a timer of its own, never by a request.
 */
const operations: string[] = [];
let recording = false;
const preparation = captureLogger("users-api");

const clock = movableClock();

beforeAll(async () => {
  db = await connectTestDatabase("users_throttling");
  await prepareDatabase(db, preparation.logger);
  db.set("debug", (collection: string, method: string) => {
    if (recording && collection !== auditEventsCollectionName) operations.push(`${collection}.${method}`);
  });
  authApi = await startAuthApi(0, {}, clock.read);
  proxy = Bun.serve({
    port: 0,
    fetch(incoming) {
      const url = new URL(incoming.url);
      authCalls.push(url.pathname);
      return fetch(new URL(url.pathname, authApi.url), {
        method: incoming.method,
        headers: incoming.headers,
        body: incoming.body,
      });
    },
  });
});
afterAll(async () => {
  proxy.stop(true);
  await authApi.stop();
  await dropTestDatabase(db);
});

type App = ReturnType<typeof buildUsersApp>["app"];

async function call(app: App, ...args: Parameters<typeof request>) {
  const response = await app.handle(request(...args));
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

const logIn = (app: App, email: string, secret: string, extra: { deviceToken?: string; cookie?: string } = {}) =>
  call(app, "POST", "/login", {
    body: { email, password: secret, ...(extra.deviceToken ? { deviceToken: extra.deviceToken } : {}) },
    headers: extra.cookie ? { cookie: extra.cookie } : {},
  });

/** Runs `steps` and answers how many calls reached auth-api meanwhile. */
async function authCallsDuring(steps: () => Promise<unknown>) {
  const before = authCalls.length;
  await steps();
  return authCalls.length - before;
}

async function metric(app: App, name: string) {
  const text = await (await app.handle(request("GET", "/metrics"))).text();
  return Number(new RegExp(`^${name.replace(/[{}"]/g, "\\$&")} (\\S+)$`, "m").exec(text)?.[1] ?? 0);
}

const expectThrottled = (response: Awaited<ReturnType<typeof call>>, retryAfterSeconds: number, where = "") => {
  expect({ where, status: response.status, retryAfter: response.headers.get("retry-after") }).toEqual({
    where,
    status: 429,
    retryAfter: String(retryAfterSeconds),
  });
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  expect(response.body).toEqual({
    type: "about:blank",
    title: "Too Many Requests",
    status: 429,
    detail: "Too many attempts; try again after the number of seconds in Retry-After",
  });
};

const onFerretDB = await (async () => {
  const probe = await connectTestDatabase("users_throttling_probe");
  const answer = await isFerretDB(probe);
  await probe.close();
  return answer;
})();

const defaults = loadUsersConfig({
  MONGODB_URI: "mongodb://unused",
  INTERNAL_TOKEN: "t".repeat(32),
  SMTP_URL: "smtp://unused",
  MAIL_FROM: "unused@example.com",
  MFA_ENCRYPTION_KEY: encryptionKey,
});

describe("rules and collections", () => {
  test("by default the wait starts at the 5th failure with 1 s, doubles, and stops at 15 minutes", () => {
    const rule = throttlingRules(defaults).loginFailures;
    expect(Array.from({ length: 17 }, (_, failures) => delayAfter(failures, rule))).toEqual([
      0, 0, 0, 0, 0, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 512_000, 900_000, 900_000,
    ]);
    expect(delayAfter(1_000_000, rule)).toBe(900_000);
  });

  test("a TTL index deletes expired counters and device tokens where the database has them (FerretDB 1.24 has none)", async () => {
    for (const name of ["throttles"]) {
      // On FerretDB `throttles` has no index at all, so it is not even created before its first write.
      const indexes = await db
        .collection(name)
        .indexes()
        .catch(() => []);
      const ttl = indexes.find((index) => index.name === "expiresAt_ttl");
      const warned = preparation.lines.some((line) => line.collection === name && line.level === "warn");
      expect({ name, ttl: ttl && { key: ttl.key, expireAfterSeconds: ttl.expireAfterSeconds }, warned }).toEqual({
        name,
        ttl: onFerretDB ? undefined : { key: { expiresAt: 1 }, expireAfterSeconds: 0 },
        warned: onFerretDB,
      });
    }
  });

  test("concurrent attempts never get past the limit", async () => {
    const { app } = buildUsersApp(db, proxy.url.href, {
      clock: clock.read,
      env: { LOGINS_PER_CLIENT_PER_MINUTE: "5" },
    });
    clock.nextHour();
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => logIn(app, `concurrent-${i}@example.com`, wrong)),
    );
    expect(results.map(({ status }) => status).sort()).toEqual([...Array(5).fill(401), ...Array(7).fill(429)]);
  });
});

describe("per account", () => {
  let app: App;
  beforeEach(() => {
    // Per-client limits out of the way: every request here comes from the one in-process client.
    app = buildUsersApp(db, proxy.url.href, { clock: clock.read, env: { LOGINS_PER_CLIENT_PER_MINUTE: "1000" } }).app;
    clock.nextHour();
  });

  test("5 failures reach the password check; then each attempt waits 1 s, 2 s, 4 s… whatever its password; success resets", async () => {
    const email = "victim@example.com";
    expect((await call(app, "POST", "/signup", { body: { email, password } })).status).toBe(201);
    for (let failure = 1; failure <= 5; failure++)
      expect(await authCallsDuring(async () => expect((await logIn(app, email, wrong)).status).toBe(401))).toBe(1);

    // Inside the 1 s wait: refused before auth-api is asked, the right password no different from a wrong one.
    expect(
      await authCallsDuring(async () => {
        expectThrottled(await logIn(app, email, wrong), 1, "wrong password in the wait");
        expectThrottled(await logIn(app, email, password), 1, "right password in the wait");
      }),
    ).toBe(0);
    clock.now += 999;
    expectThrottled(await logIn(app, email, password), 1, "1 ms before the wait ends");
    clock.now += 1;
    expect((await logIn(app, email, wrong)).status).toBe(401); // 6th failure: 2 s
    expectThrottled(await logIn(app, email, password), 2, "after the 6th failure");
    clock.now += 2_000;
    expect((await logIn(app, email, wrong)).status).toBe(401); // 7th: 4 s
    expectThrottled(await logIn(app, email, password), 4, "after the 7th failure");
    clock.now += 3_999;
    expectThrottled(await logIn(app, email, password), 1, "1 ms before the 4 s end");
    clock.now += 1;
    expect((await logIn(app, email, password)).status).toBe(200);

    // Reset: five failures pass through again before the next wait.
    for (let failure = 1; failure <= 5; failure++) expect((await logIn(app, email, wrong)).status).toBe(401);
    expectThrottled(await logIn(app, email, password), 1, "after the reset");
    expect(await metric(app, 'throttled_attempts_total{rule="login-account"}')).toBe(7);
  });

  test("within the free failures nothing waits, though another attempt's failure is stamped later than this clock", async () => {
    // What concurrent logins of one account do (each reads the count after another has stamped its failure, a few
    // milliseconds after its own clock reading), or two replicas whose clocks differ by as much.
    const ahead = buildUsersApp(db, proxy.url.href, {
      clock: () => clock.now + 5,
      env: { LOGINS_PER_CLIENT_PER_MINUTE: "1000" },
    }).app;
    const email = "stamped-ahead@example.com";
    expect((await call(app, "POST", "/signup", { body: { email, password } })).status).toBe(201);
    for (let failure = 1; failure <= 4; failure++) expect((await logIn(ahead, email, wrong)).status).toBe(401);
    expect((await logIn(app, email, password)).status).toBe(200);
  });

  test("an unknown address is throttled exactly like an account, so throttling tells nothing", async () => {
    for (let failure = 1; failure <= 5; failure++)
      expect((await logIn(app, "nobody@example.com", wrong)).status).toBe(401);
    expectThrottled(await logIn(app, "nobody@example.com", wrong), 1);
    // Counted by the normalized address: another spelling is the same count.
    expectThrottled(await logIn(app, "  NoBody@Example.com", wrong), 1);
    clock.now += 1_000;
    expect((await logIn(app, "nobody@example.com", wrong)).status).toBe(401);
    expectThrottled(await logIn(app, "nobody@example.com", wrong), 2);
  });

  test("a refusal costs one database read and no call to auth-api", async () => {
    for (let failure = 1; failure <= 5; failure++) await logIn(app, "target@example.com", wrong);
    operations.length = 0;
    recording = true;
    const calls = await authCallsDuring(async () => expectThrottled(await logIn(app, "target@example.com", wrong), 1));
    recording = false;
    expect(calls).toBe(0);
    expect(operations).toEqual(["throttles.find"]);
  });

  test("a failure count unused for a day past the longest wait is forgotten", async () => {
    for (let failure = 1; failure <= 7; failure++) {
      expect((await logIn(app, "patient@example.com", wrong)).status).toBe(401);
      clock.now += 8_000;
    }
    clock.now += 900_000 + 24 * 60 * MINUTE;
    // Counting starts again at one: five failures pass without any wait, and the fifth sets the 1 s one.
    for (let failure = 1; failure <= 5; failure++)
      expect((await logIn(app, "patient@example.com", wrong)).status).toBe(401);
    expectThrottled(await logIn(app, "patient@example.com", wrong), 1);
  });
});

describe("device tokens", () => {
  // Each test starts from its own app (its own metrics), two new accounts and a new hour: none relies on another.
  let app: App;
  let victim: string;
  let other: string;
  let deviceToken: string;
  let otherDeviceToken: string;
  let accounts = 0;

  beforeEach(async () => {
    app = buildUsersApp(db, proxy.url.href, { clock: clock.read, env: { LOGINS_PER_CLIENT_PER_MINUTE: "1000" } }).app;
    clock.nextHour();
    accounts++;
    victim = `device-owner-${accounts}@example.com`;
    other = `someone-else-${accounts}@example.com`;
    for (const email of [victim, other])
      expect((await call(app, "POST", "/signup", { body: { email, password } })).status).toBe(201);
    deviceToken = (await logIn(app, victim, password)).body.deviceToken;
    otherDeviceToken = (await logIn(app, other, password)).body.deviceToken;
  });

  test("a successful login answers a device token, in the body and a cookie, stored only as its hash", async () => {
    const email = `first-device-${accounts}@example.com`;
    expect((await call(app, "POST", "/signup", { body: { email, password } })).status).toBe(201);
    const first = await logIn(app, email, password);
    expect(first.status).toBe(200);
    const token = first.body.deviceToken;
    expect(token).toMatch(/^[\w-]{43}$/);
    expect([deviceToken, otherDeviceToken]).not.toContain(token);
    expect(first.headers.get("set-cookie")).toBe(
      `device_token=${token}; Path=/login; Max-Age=7776000; HttpOnly; Secure; SameSite=Strict`,
    );
    const stored = await db
      .collection<{ _id: string; devices: object }>("throttles")
      .find({ _id: { $in: [`login-account:${email}`, `login-account:${victim}`] } })
      .toArray();
    expect(JSON.stringify(stored)).not.toContain(token);
    expect(JSON.stringify(stored)).not.toContain(deviceToken);
    expect(stored.map(({ devices }) => Object.keys(devices).length)).toEqual([1, 1]);
  });

  test("the owner's device logs in while strangers' failures hold the account back; forged and other accounts' tokens do not help", async () => {
    for (let failure = 1; failure <= 5; failure++) expect((await logIn(app, victim, wrong)).status).toBe(401);
    expectThrottled(await logIn(app, victim, password), 1, "no device token");

    const withBody = await logIn(app, victim, password, { deviceToken });
    expect(withBody.status).toBe(200);
    expect(withBody.body.deviceToken).toBe(deviceToken);
    // The owner's success reset the account's count; strangers start over.
    for (let failure = 1; failure <= 5; failure++) expect((await logIn(app, victim, wrong)).status).toBe(401);
    expectThrottled(await logIn(app, victim, password), 1, "strangers again");

    expect((await logIn(app, victim, password, { cookie: `device_token=${deviceToken}` })).status).toBe(200);
    for (let failure = 1; failure <= 5; failure++) expect((await logIn(app, victim, wrong)).status).toBe(401);

    const forged = Buffer.alloc(32, 7).toString("base64url");
    expectThrottled(await logIn(app, victim, password, { deviceToken: forged }), 1, "forged in the body");
    expectThrottled(await logIn(app, victim, password, { cookie: `device_token=${forged}` }), 1, "forged cookie");
    expectThrottled(await logIn(app, victim, password, { deviceToken: otherDeviceToken }), 1, "other account's");
    expect((await logIn(app, victim, "x", { deviceToken: "not-a-device-token" })).status).toBe(422);
  });

  test("a device has its own count with the same rule, apart from the account's", async () => {
    for (let failure = 1; failure <= 5; failure++)
      expect((await logIn(app, victim, wrong, { deviceToken })).status).toBe(401);
    expectThrottled(await logIn(app, victim, password, { deviceToken }), 1, "device in its wait");
    // The device's failures were its own: strangers' five free attempts on the account are untouched.
    expect((await logIn(app, victim, password)).status).toBe(200);
    clock.now += 1_000;
    expect((await logIn(app, victim, password, { deviceToken })).status).toBe(200);
    expect(await metric(app, 'throttled_attempts_total{rule="login-device"}')).toBe(1);
  });

  test("a presented device token is checked by the same one read", async () => {
    for (let failure = 1; failure <= 5; failure++) await logIn(app, other, wrong);
    operations.length = 0;
    recording = true;
    expectThrottled(await logIn(app, other, password, { deviceToken }), 1);
    recording = false;
    expect(operations).toEqual(["throttles.find"]);
  });

  test("the move from the first layout's `device_tokens` collection keeps a token working, its failures too", async () => {
    const email = `moved-device-${accounts}@example.com`;
    expect((await call(app, "POST", "/signup", { body: { email, password } })).status).toBe(201);
    const { token, hash } = newSecretToken();
    await db.collection<{ _id: string } & Record<string, unknown>>("device_tokens").insertOne({
      _id: hash,
      userId: "someone",
      email,
      failures: 5,
      lastFailureAt: new Date(clock.now),
      createdAt: new Date(clock.now - 1_000),
      expiresAt: new Date(clock.now + 60 * MINUTE),
    });
    await db.collection("migrations").deleteOne({ _id: "throttling.device-tokens-in-accounts" as never });
    await prepareThrottlingCollections(db, captureLogger("users-api").logger);
    expect(await db.db!.listCollections({ name: "device_tokens" }).toArray()).toEqual([]);
    // Its own five failures moved with it: a wait of its own, while the account's count is untouched.
    expectThrottled(await logIn(app, email, password, { deviceToken: token }), 1, "the device's own wait");
    clock.now += 1_000;
    const loggedIn = await logIn(app, email, password, { deviceToken: token });
    expect({ status: loggedIn.status, kept: loggedIn.body.deviceToken }).toEqual({ status: 200, kept: token });
  });

  test("deleting the account deletes its device tokens", async () => {
    const { body } = await logIn(app, other, password, { deviceToken: otherDeviceToken });
    expect((await call(app, "DELETE", "/user", { token: body.token, body: { password } })).status).toBe(204);
    expect(await db.collection<{ _id: string }>("throttles").countDocuments({ _id: `login-account:${other}` })).toBe(0);
  });
});

describe("per client", () => {
  test("20 logins a minute from one client, then 429 until the window ends", async () => {
    const { app } = buildUsersApp(db, proxy.url.href, { clock: clock.read });
    clock.nextHour();
    // Different addresses, so only the client's limit is in play.
    for (let attempt = 1; attempt <= 20; attempt++)
      expect((await logIn(app, `client-${attempt}@example.com`, wrong)).status).toBe(401);
    expect(
      await authCallsDuring(async () => expectThrottled(await logIn(app, "fresh@example.com", password), 60)),
    ).toBe(0);
    clock.now += 59_500;
    expectThrottled(await logIn(app, "fresh@example.com", password), 1);
    clock.now += 500;
    expect((await logIn(app, "fresh@example.com", wrong)).status).toBe(401);
    expect(await metric(app, 'throttled_attempts_total{rule="login-client"}')).toBe(2);
  });

  test("10 sign-ups an hour from one client, then 429", async () => {
    const { app } = buildUsersApp(db, proxy.url.href, { clock: clock.read });
    clock.nextHour();
    for (let attempt = 1; attempt <= 10; attempt++)
      expect(
        (await call(app, "POST", "/signup", { body: { email: `new-${attempt}@example.com`, password } })).status,
      ).toBe(201);
    const refused = await call(app, "POST", "/signup", { body: { email: "eleventh@example.com", password } });
    expectThrottled(refused, 3600);
    expect(await db.collection("users").countDocuments({ email: "eleventh@example.com" })).toBe(0);
    expect(await metric(app, 'throttled_attempts_total{rule="signup-client"}')).toBe(1);
  });

  test("replicas share a client's window: two apps on one database", async () => {
    const env = { LOGINS_PER_CLIENT_PER_MINUTE: "4" };
    const [first, second] = [
      buildUsersApp(db, proxy.url.href, { clock: clock.read, env }),
      buildUsersApp(db, proxy.url.href, { clock: clock.read, env }),
    ];
    clock.nextHour();
    for (const app of [first.app, second.app, first.app, second.app])
      expect((await logIn(app, "shared-window@example.com", wrong)).status).toBe(401);
    expectThrottled(await logIn(first.app, "other-address@example.com", wrong), 60);
    expectThrottled(await logIn(second.app, "other-address@example.com", wrong), 60);
  });

  test("the rules for routes still to come (refresh, password-forgot and verification-resend) count alike", async () => {
    const { createThrottling } = await import("../src/throttling/service.ts");
    const { throttlesCollection } = await import("../src/throttling/collection.ts");
    const refused: string[] = [];
    const throttling = createThrottling({
      throttles: throttlesCollection(db),
      rules: throttlingRules(defaults),
      now: clock.read,
      onThrottled: (rule) => refused.push(rule),
    });
    clock.nextHour();
    for (const [ruleName, limit, windowSeconds] of [
      ["refresh", 60, 60],
      ["emailRequest", 5, 3600],
    ] as const) {
      for (let attempt = 1; attempt <= limit; attempt++) await throttling.admit(ruleName, "198.51.100.7");
      const error = await throttling.admit(ruleName, "198.51.100.7").catch((caught) => caught);
      expect({ ruleName, status: error.status, retryAfter: error.extra.retryAfterSeconds }).toEqual({
        ruleName,
        status: 429,
        retryAfter: windowSeconds,
      });
      // Another client is counted apart.
      await throttling.admit(ruleName, "198.51.100.8");
    }
    expect(refused).toEqual(["refresh-client", "email-client"]);
  });
});

describe("admission before work: as many pending as auth-api holds", () => {
  test("past them, sign-ups and logins wait, then get 503 with Retry-After, without asking auth-api or reading the user", async () => {
    // auth-api holds two (one hashing, one queued), and answers 503 with Retry-After past them.
    const busyAuthApi = await startAuthApi(0, { HASH_CONCURRENCY: 1, HASH_QUEUE_LIMIT: 1 });
    let calls = 0;
    const held: (() => void)[] = [];
    let heldReached: { count: number; resolve: () => void } | undefined;
    /** Holds hashing calls until `releaseAll`; resolves once `count` are held. */
    const holdUntil = (count: number) =>
      new Promise<void>((resolve) => {
        heldReached = { count, resolve };
      });
    const releaseAll = () => {
      for (const release of held.splice(0)) release();
    };
    const holding = Bun.serve({
      port: 0,
      async fetch(incoming) {
        const url = new URL(incoming.url);
        if (heldReached && (url.pathname === "/hashed-pw" || url.pathname === "/token")) {
          calls++;
          await new Promise<void>((release) => {
            held.push(release);
            if (held.length === heldReached!.count) heldReached!.resolve();
          });
        }
        return fetch(new URL(url.pathname, busyAuthApi.url), {
          method: incoming.method,
          headers: incoming.headers,
          body: await incoming.arrayBuffer(),
        });
      },
    });
    const signUp = (email: string) => call(app, "POST", "/signup", { body: { email, password } });
    const { app } = buildUsersApp(db, holding.url.href, { clock: clock.read });
    try {
      clock.nextHour();
      // Three at once reach auth-api together: it takes two and refuses the third, which teaches users-api two.
      let reached = holdUntil(3);
      const burst = ["held-0", "held-1", "held-2"].map((name) => signUp(`${name}@example.com`));
      await reached;
      releaseAll();
      const statuses = (await Promise.all(burst)).map(({ status }) => status);
      expect(statuses.toSorted()).toEqual([201, 201, 503]);

      reached = holdUntil(2);
      const pending = ["held-3", "held-4"].map((name) => signUp(`${name}@example.com`));
      await reached;
      const callsBefore = calls;
      operations.length = 0;
      recording = true;
      const refused = [await logIn(app, "held-0@example.com", password), await signUp("later@example.com")];
      recording = false;
      for (const { status, headers, body } of refused) {
        expect(status).toBe(503);
        expect(headers.get("retry-after")).toBe("1");
        expect(body).toMatchObject({ status: 503, title: "Service Unavailable" });
      }
      expect(calls).toBe(callsBefore);
      expect(operations).toEqual([]);

      heldReached = undefined;
      releaseAll();
      expect((await Promise.all(pending)).map(({ status }) => status)).toEqual([201, 201]);
      expect((await signUp("later@example.com")).status).toBe(201);
    } finally {
      releaseAll();
      holding.stop(true);
      await busyAuthApi.stop();
    }
  });
});
