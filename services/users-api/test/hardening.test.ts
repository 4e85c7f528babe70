// The attacks of the security review, each performed against the real app (app.handle), the real auth-api behind a
// proxy that counts (and can hold) its calls, a real database and a real SMTP server. Time is the app's injected
// clock; events are ordered by the proxy's hold, never by sleeping.
import { afterAll, describe, expect, test } from "bun:test";
import { DEVICE_TOKENS_PER_ACCOUNT } from "../src/throttling/device-token.ts";
import { useUsersApi } from "./support.ts";

const password = "correct horse battery";
const wrong = "wrong password!";

/** Calls that reached auth-api, by path. */
const authCalls: string[] = [];
/** While set, calls to auth-api's /token wait for `release()`; `arrived` resolves when one is waiting. */
let hold: { arrived: () => void; released: Promise<void> } | undefined;
/** While true, auth-api's /token and /token/refresh answer 500, as a failing auth-api would. */
let failing = false;

/** Between users-api and auth-api, counting, holding or failing its calls. */
const proxy = Bun.serve({
  port: 0,
  async fetch(incoming) {
    const url = new URL(incoming.url);
    authCalls.push(url.pathname);
    const body = await incoming.arrayBuffer();
    if (failing && url.pathname.startsWith("/token")) return new Response("failing", { status: 500 });
    if (hold && url.pathname === "/token") {
      const { arrived, released } = hold;
      arrived();
      await released;
    }
    return fetch(new URL(url.pathname, api.authApi.url), { method: incoming.method, headers: incoming.headers, body });
  },
});
const api = useUsersApi("users_hardening", {
  authApiUrl: proxy.url.href,
  env: {
    LOGINS_PER_CLIENT_PER_MINUTE: "1000",
    SIGNUPS_PER_CLIENT_PER_HOUR: "1000",
    EMAIL_REQUESTS_PER_CLIENT_PER_HOUR: "1000",
  },
  newHourEachTest: true,
});
afterAll(() => proxy.stop(true));
const { call, clock } = api;

let accounts = 0;
async function signUp() {
  const email = `hardening-${++accounts}@example.com`;
  expect((await call("POST", "/signup", { body: { email, password } })).status).toBe(201);
  await api.mailbox.next(email);
  return email;
}

/** The account's device tokens as stored, by hash. */
const deviceTokens = async (email: string) =>
  (await api.db.collection<{ _id: string; devices?: object }>("throttles").findOne({ _id: `login-account:${email}` }))
    ?.devices ?? {};

const logIn = (email: string, secret: string, deviceToken?: string) =>
  call("POST", "/login", { body: { email, password: secret, ...(deviceToken && { deviceToken }) } });

const changePassword = (token: string, currentPassword: string, newPassword = "a brand new passphrase") =>
  call("PUT", "/user/password", { token, body: { currentPassword, newPassword } });

/** Asks for a reset link and follows it, setting `newPassword`. */
async function resetPassword(email: string, newPassword: string) {
  expect((await call("POST", "/password/forgot", { body: { email } })).status).toBe(202);
  const mail = await api.mailbox.next(email);
  const token = /[?#]token=([\w-]{43})/.exec(String(mail.text))![1]!;
  return call("POST", "/password/reset", { body: { token, newPassword } });
}

/** Runs `steps` and answers how many calls to `path` reached auth-api meanwhile. */
async function authCallsDuring(path: string, steps: () => Promise<unknown>) {
  const before = authCalls.length;
  await steps();
  return authCalls.slice(before).filter((called) => called === path).length;
}

/** Five wrong passwords for `email`, and the 1 s wait after them run out. */
async function fiveFailuresWaited(email: string) {
  for (let failure = 1; failure <= 5; failure++) expect((await logIn(email, wrong)).status).toBe(401);
  clock.now += 1_000;
}

const statusesOf = (responses: { status: number }[]) => responses.map(({ status }) => status).sort();

describe("one guess per wait", () => {
  test("10 concurrent wrong logins after a wait: exactly one reaches auth-api, the others get 429 with Retry-After", async () => {
    const email = await signUp();
    await fiveFailuresWaited(email);
    let responses: Awaited<ReturnType<typeof call>>[] = [];
    const verified = await authCallsDuring("/token", async () => {
      responses = await Promise.all(Array.from({ length: 10 }, () => logIn(email, wrong)));
    });
    expect(verified).toBe(1);
    expect(statusesOf(responses)).toEqual([401, ...Array(9).fill(429)]);
    for (const refused of responses.filter(({ status }) => status === 429))
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  });

  test("10 concurrent wrong currentPasswords after a wait: exactly one reaches auth-api", async () => {
    const email = await signUp();
    const { token } = (await logIn(email, password)).body;
    for (let failure = 1; failure <= 5; failure++) expect((await changePassword(token, wrong)).status).toBe(403);
    clock.now += 1_000;
    let responses: Awaited<ReturnType<typeof call>>[] = [];
    const verified = await authCallsDuring("/token", async () => {
      responses = await Promise.all(Array.from({ length: 10 }, () => changePassword(token, wrong)));
    });
    expect(verified).toBe(1);
    expect(statusesOf(responses)).toEqual([403, ...Array(9).fill(429)]);
  });
});

describe("PUT /user/password is no oracle", () => {
  test("wrong currentPasswords count in the account's rule: after five, 429 before any hashing, for logins too", async () => {
    const email = await signUp();
    const { token } = (await logIn(email, password)).body;
    for (let failure = 1; failure <= 5; failure++) expect((await changePassword(token, wrong)).status).toBe(403);
    expect(
      await authCallsDuring("/token", async () => {
        const refused = await changePassword(token, password);
        expect({ status: refused.status, retryAfter: refused.headers.get("retry-after") }).toEqual({
          status: 429,
          retryAfter: "1",
        });
        expect((await logIn(email, password)).status).toBe(429);
      }),
    ).toBe(0);
    clock.now += 1_000;
    const changed = await changePassword(token, password);
    expect(changed.status).toBe(200);
    // The success forgot the failures: five more wrong passwords pass before the next wait.
    for (let failure = 1; failure <= 5; failure++) expect((await logIn(email, wrong)).status).toBe(401);
    expect((await logIn(email, wrong)).status).toBe(429);
  });
});

describe("a login in flight", () => {
  test("held at auth-api while a reset completes: refused afterwards, and its session does not exist", async () => {
    const email = await signUp();
    let arrived!: () => void;
    let release!: () => void;
    const waiting = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    hold = { arrived, released: new Promise<void>((resolve) => (release = resolve)) };
    const login = logIn(email, password);
    await waiting;
    hold = undefined;
    expect((await resetPassword(email, "the owner's new password")).status).toBe(200);
    release();
    const late = await login;
    expect(late.status).toBe(401);
    const user = await api.db.collection("users").findOne({ email });
    expect(user!.sessions ?? {}).toEqual({});
    // Nor did it leave a device token behind: only the one the reset gave.
    expect(Object.keys(await deviceTokens(email))).toHaveLength(1);
  });
});

test("an attempt auth-api could not check is no failure: after an outage the owner is not held back", async () => {
  const email = await signUp();
  failing = true;
  try {
    for (let attempt = 1; attempt <= 7; attempt++) expect((await logIn(email, password)).status).toBe(503);
  } finally {
    failing = false;
  }
  expect((await logIn(email, password)).status).toBe(200);
});

test("a refresh auth-api could not sign leaves the session as it was: the same token works afterwards, past the grace window too", async () => {
  const email = await signUp();
  const { refreshToken } = (await logIn(email, password)).body;
  failing = true;
  try {
    expect((await call("POST", "/refresh", { body: { refreshToken } })).status).toBe(503);
  } finally {
    failing = false;
  }
  clock.now += 11 * 60_000;
  const retried = await call("POST", "/refresh", { body: { refreshToken } });
  expect(retried.status).toBe(200);
  expect((await call("POST", "/refresh", { body: { refreshToken: retried.body.refreshToken } })).status).toBe(200);
});

describe("device tokens", () => {
  test("a password change ends every device token: an old one no longer passes the account's wait", async () => {
    const email = await signUp();
    const { token, deviceToken: old } = (await logIn(email, password)).body;
    const changed = await changePassword(token, password, "the next passphrase");
    expect(changed.status).toBe(200);
    expect(changed.headers.get("set-cookie")).toStartWith(`device_token=${changed.body.deviceToken}; Path=/login;`);
    for (let failure = 1; failure <= 5; failure++) expect((await logIn(email, wrong)).status).toBe(401);
    expect((await logIn(email, "the next passphrase", old)).status).toBe(429);
    // The device that changed it got a token that does pass.
    expect((await logIn(email, "the next passphrase", changed.body.deviceToken)).status).toBe(200);
  });

  test("a reset ends every device token and hands a new one to the device that reset", async () => {
    const email = await signUp();
    const { deviceToken: old } = (await logIn(email, password)).body;
    const reset = await resetPassword(email, "the owner's new password");
    expect(reset.status).toBe(200);
    expect(reset.headers.get("set-cookie")).toStartWith(`device_token=${reset.body.deviceToken}; Path=/login;`);
    for (let failure = 1; failure <= 5; failure++) expect((await logIn(email, wrong)).status).toBe(401);
    expect((await logIn(email, "the owner's new password", old)).status).toBe(429);
    expect((await logIn(email, "the owner's new password", reset.body.deviceToken)).status).toBe(200);
  });

  test(`an account keeps at most ${DEVICE_TOKENS_PER_ACCOUNT}: a new one past that ends the oldest`, async () => {
    const email = await signUp();
    const issued: string[] = [];
    for (let login = 0; login <= DEVICE_TOKENS_PER_ACCOUNT; login++) {
      clock.now += 1;
      issued.push((await logIn(email, password)).body.deviceToken);
    }
    expect(Object.keys(await deviceTokens(email))).toHaveLength(DEVICE_TOKENS_PER_ACCOUNT);
    for (let failure = 1; failure <= 5; failure++) expect((await logIn(email, wrong)).status).toBe(401);
    expect((await logIn(email, password, issued[0])).status).toBe(429);
    expect((await logIn(email, password, issued[1])).status).toBe(200);
  }, 60_000);
});

test("a completed reset ends the lockout strangers' guesses caused", async () => {
  const email = await signUp();
  for (let failure = 1; failure <= 5; failure++) expect((await logIn(email, wrong)).status).toBe(401);
  expect((await logIn(email, password)).status).toBe(429);
  expect((await resetPassword(email, "the owner's new password")).status).toBe(200);
  expect((await logIn(email, "the owner's new password")).status).toBe(200);
});
