// The audit trail through app.handle, with the real auth-api, a real database, a real SMTP server and a clock the
// tests move: every security action leaves exactly its event, with the request's client, and never a secret.
import { expect, test } from "bun:test";
import { Types } from "mongoose";
import { auditEventsCollectionName } from "../src/audit/collection.ts";
import { captureLogger } from "@accounts/shared/testing";
import { connectTestDatabase, dropTestDatabase } from "./database.ts";
import { linkIn } from "./mailbox.ts";
import { buildUsersApp, request, type RequestOptions, useUsersApi } from "./support.ts";
import { totpCode } from "./totp.ts";
import { prepareDatabase } from "../src/prepare.ts";

const password = "correct horse battery";
const userAgent = "audit-test/1.0";
/** Every secret the tests send or receive, looked for in the stored events and the log at the end. */
const secrets: string[] = [password];

const env = {
  SIGNUPS_PER_CLIENT_PER_HOUR: "1000",
  LOGINS_PER_CLIENT_PER_MINUTE: "1000",
  EMAIL_REQUESTS_PER_CLIENT_PER_HOUR: "1000",
  CODES_PER_CLIENT_PER_MINUTE: "1000",
};
const api = useUsersApi("users_audit", { env });
const { clock } = api;

/** With the tests' user agent, which the events record; status and body only, so a test can compare the whole. */
async function call(method: string, path: string, options: RequestOptions = {}, app?: typeof api.app) {
  const headers = { "user-agent": userAgent, ...options.headers };
  const { status, body } = await api.call(method, path, { ...options, headers }, app);
  return { status, body };
}

const logIn = (email: string, pw = password) => call("POST", "/login", { body: { email, password: pw } });

/** The token of the next mail to `to` linking to `path`, past the notices before it. */
async function tokenMailed(to: string, path: string): Promise<string> {
  const mail = await api.mailbox.next(to);
  if (!mail.text?.includes(`${path}#token=`)) return tokenMailed(to, path);
  const { token } = linkIn(mail, path);
  secrets.push(token);
  return token;
}

let accounts = 0;
async function signUp() {
  const email = `audit-${++accounts}@example.com`;
  const { status, body } = await call("POST", "/signup", { body: { email, password } });
  expect(status).toBe(201);
  return { email, userId: body.user.id as string };
}

/** Logs in and keeps the tokens among the secrets. */
async function session(email: string, pw = password) {
  const { status, body } = await logIn(email, pw);
  expect(status).toBe(200);
  secrets.push(body.token, body.refreshToken, body.deviceToken);
  return body as { token: string; refreshToken: string; sessionId: string };
}

const storedEvents = (filter: object) =>
  api.db.collection(auditEventsCollectionName).find(filter).sort({ at: 1, _id: 1 }).toArray();

test("each action leaves its one event, with the request's client; none holds a secret, stored or logged", async () => {
  const { email, userId } = await signUp();
  const expected = ["account.created"];
  const did = (type: string) => expected.push(type);

  expect(
    (await call("POST", "/email/verify", { body: { token: await tokenMailed(email, "/verify-email") } })).status,
  ).toBe(200);
  did("email.verified");
  expect((await logIn(email, "wrong password!")).status).toBe(401);
  did("login.failed");
  const first = await session(email);
  did("login.succeeded");

  // A refresh is no event; presenting the replaced token again past the grace window is.
  const refreshed = await call("POST", "/refresh", { body: { refreshToken: first.refreshToken } });
  expect(refreshed.status).toBe(200);
  secrets.push(refreshed.body.token, refreshed.body.refreshToken);
  clock.now += 60_000;
  expect((await call("POST", "/refresh", { body: { refreshToken: first.refreshToken } })).status).toBe(401);
  did("session.refresh_token_reused");

  const second = await session(email);
  const third = await session(email);
  did("login.succeeded");
  did("login.succeeded");
  expect((await call("DELETE", `/sessions/${second.sessionId}`, { token: third.token })).status).toBe(204);
  did("session.revoked");

  const changed = "a new passphrase 1";
  secrets.push(changed);
  const change = { currentPassword: password, newPassword: changed };
  expect((await call("PUT", "/user/password", { token: third.token, body: change })).status).toBe(200);
  did("password.changed");

  expect((await call("POST", "/password/forgot", { body: { email } })).status).toBe(202);
  const resetToken = await tokenMailed(email, "/reset-password");
  did("password.reset_requested");
  expect((await call("POST", "/password/reset", { body: { token: resetToken, newPassword: password } })).status).toBe(
    200,
  );
  did("password.reset");

  // TOTP on: each code from a later 30-second step than the one before.
  const withTotp = await session(email);
  did("login.succeeded");
  const enrolled = await call("POST", "/mfa/totp", { token: withTotp.token, body: { password } });
  const secret = enrolled.body.secret as string;
  secrets.push(secret, enrolled.body.otpauthUri);
  const code = () => {
    clock.now += 30_000;
    const current = totpCode(secret, clock.now);
    secrets.push(current);
    return current;
  };
  const confirmed = await call("POST", "/mfa/totp/confirm", { token: withTotp.token, body: { code: code() } });
  expect(confirmed.status).toBe(200);
  did("mfa.totp_enabled");
  const recoveryCodes = confirmed.body.recoveryCodes as string[];
  secrets.push(...recoveryCodes);

  const challenge = (await logIn(email)).body;
  secrets.push(challenge.mfaToken);
  const wrongCode = totpCode(secret, clock.now + 10 * 30_000);
  secrets.push(wrongCode);
  expect((await call("POST", "/login/mfa", { body: { mfaToken: challenge.mfaToken, code: wrongCode } })).status).toBe(
    401,
  );
  did("mfa.failed");
  const recovered = await call("POST", "/login/mfa", {
    body: { mfaToken: challenge.mfaToken, recoveryCode: recoveryCodes[0] },
  });
  expect(recovered.status).toBe(200);
  secrets.push(recovered.body.token, recovered.body.refreshToken, recovered.body.deviceToken);
  did("mfa.succeeded");
  did("mfa.recovery_code_used");
  const regenerated = await call("POST", "/mfa/recovery-codes", {
    token: recovered.body.token,
    body: { password, code: code() },
  });
  expect(regenerated.status).toBe(200);
  secrets.push(...regenerated.body.recoveryCodes);
  did("mfa.recovery_codes_regenerated");
  expect(
    (await call("DELETE", "/mfa/totp", { token: recovered.body.token, body: { password, code: code() } })).status,
  ).toBe(204);
  did("mfa.totp_disabled");

  const newEmail = `audit-moved-${accounts}@example.org`;
  expect(
    (await call("POST", "/user/email", { token: recovered.body.token, body: { newEmail, password } })).status,
  ).toBe(202);
  did("email.change_requested");
  expect(
    (
      await call("POST", "/user/email/confirm", {
        body: { token: await tokenMailed(newEmail, "/email-change/confirm") },
      })
    ).status,
  ).toBe(200);
  did("email.changed");
  expect(
    (await call("POST", "/user/email/revert", { body: { token: await tokenMailed(email, "/email-change/revert") } }))
      .status,
  ).toBe(200);
  did("email.reverted");
  // The undo mails a reset link too.
  await tokenMailed(email, "/reset-password");

  const last = await session(email);
  did("login.succeeded");
  expect((await call("POST", "/logout", { token: last.token, body: { scope: "others" } })).status).toBe(204);
  did("session.logged_out");

  // The user's own view, newest first, paged.
  const page = await call("GET", "/user/security-events?limit=2", { token: last.token });
  expect(page.status).toBe(200);
  expect(page.body.events.map(({ type }: { type: string }) => type)).toEqual(["session.logged_out", "login.succeeded"]);
  expect(page.body.events[0]).toEqual({
    type: "session.logged_out",
    at: new Date(clock.now).toISOString(),
    userId,
    email,
    actor: "user",
    ip: expect.any(String),
    userAgent,
    requestId: expect.any(String),
  });
  const older = await call("GET", `/user/security-events?limit=100&after=${page.body.next}`, { token: last.token });
  expect(older.body.events.map(({ type }: { type: string }) => type)).toEqual(expected.slice(0, -2).toReversed());
  expect(older.body.next).toBeUndefined();

  expect((await call("DELETE", "/user", { token: last.token, body: { password } })).status).toBe(204);
  did("account.deleted");
  // Another user's view: none of these, and it stores what this replica has buffered.
  const other = await signUp();
  const viewer = await session(other.email);
  const seen = await call("GET", "/user/security-events", { token: viewer.token });
  expect(seen.body.events.map(({ type }: { type: string }) => type)).toEqual(["login.succeeded", "account.created"]);
  expect(seen.body.events.every((event: { userId: string }) => event.userId === other.userId)).toBe(true);

  const stored = await storedEvents({ userId: new Types.ObjectId(userId) });
  expect(stored.map(({ type }) => type).toSorted()).toEqual(expected.toSorted());
  const reuse = stored.find(({ type }) => type === "session.refresh_token_reused");
  expect(reuse).toMatchObject({ actor: "system", userAgent });
  for (const event of stored)
    expect((event.expiresAt as Date).getTime() - (event.at as Date).getTime()).toBe(90 * 24 * 3_600_000);
  const logged = api.lines.filter((line) => line.event !== undefined && line.userId === userId);
  expect(logged.map(({ event }) => event).toSorted()).toEqual(expected.toSorted());

  const everything = JSON.stringify(await storedEvents({})) + JSON.stringify(api.lines);
  for (const secretSeen of secrets.filter(Boolean)) expect(everything).not.toContain(secretSeen);
});

test("a throttled login is one event per wait, however many attempts it refuses", async () => {
  const { email } = await signUp();
  // Each attempt a millisecond after the one before, so the events' order is the attempts' (a throttled event's id is
  // derived from its wait, not from the time).
  const attempt = async (secret: string) => {
    clock.now += 1;
    return (await logIn(email, secret)).status;
  };
  for (let failure = 1; failure <= 5; failure++) expect(await attempt("wrong password!")).toBe(401);
  for (let refused = 1; refused <= 3; refused++) expect(await attempt(password)).toBe(429);
  // The first wait (1 s) runs out; the next failure starts a second wait.
  clock.now += 1_000;
  expect(await attempt("wrong password!")).toBe(401);
  for (let refused = 1; refused <= 3; refused++) expect(await attempt(password)).toBe(429);
  await api.app.handle(request("GET", "/metrics"));
  const viewer = await session((await signUp()).email);
  await call("GET", "/user/security-events", { token: viewer.token });
  const events = await storedEvents({ email, type: { $in: ["login.failed", "login.throttled"] } });
  expect(events.map(({ type }) => type)).toEqual([
    ...Array(5).fill("login.failed"),
    "login.throttled",
    "login.failed",
    "login.throttled",
  ]);
  expect(api.lines.filter((line) => line.event === "login.throttled" && line.email === email)).toHaveLength(2);
});

test("an event that cannot be stored is logged and counted; the request goes on", async () => {
  const failing = await connectTestDatabase("users_audit_failing");
  try {
    await prepareDatabase(failing, captureLogger("users-api").logger);
    // A real refusal on both databases: a unique index on `type`, and a login's event already there.
    await failing.collection(auditEventsCollectionName).createIndex({ type: 1 }, { unique: true });
    await failing.collection(auditEventsCollectionName).insertOne({ type: "login.succeeded" });
    const { app, lines } = buildUsersApp(failing, api.authApi.url, { clock: clock.read, env });
    const email = `audit-failing@example.com`;
    expect((await call("POST", "/signup", { body: { email, password } }, app)).status).toBe(201);
    const { status, body } = await call("POST", "/login", { body: { email, password } }, app);
    expect(status).toBe(200);
    const seen = await call("GET", "/user/security-events", { token: body.token }, app);
    expect(seen).toEqual({ status: 200, body: { events: [expect.objectContaining({ type: "account.created" })] } });
    const metrics = await (await app.handle(request("GET", "/metrics"))).text();
    expect(metrics).toContain("audit_events_failed_total 1");
    expect(lines.filter((line) => line.msg === "audit events not stored")).toEqual([
      expect.objectContaining({ level: "error", lost: 1 }),
    ]);
    expect(lines.filter((line) => line.event === "login.succeeded")).toHaveLength(1);
  } finally {
    await dropTestDatabase(failing);
  }
});
