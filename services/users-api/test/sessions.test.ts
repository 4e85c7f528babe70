// Sessions through app.handle, with the real auth-api (in this process, on a free port), a real database and a
// clock the tests move: rotation, reuse, the grace window, expiry, logout, the sessions list, password change.
import { createHmac } from "node:crypto";
import { describe, expect, test } from "bun:test";
import { Types } from "mongoose";
import { SESSIONS_PER_ACCOUNT } from "../src/sessions/service.ts";
import { prepareSessions } from "../src/sessions/prepare.ts";
import type { LogInResponse as Grant } from "../src/users/schemas.ts";
import { captureLogger } from "@accounts/shared/testing";
import { request, useUsersApi } from "./support.ts";

const DAY = 24 * 3600;
const env = {
  SESSION_MAX_AGE_SECONDS: String(30 * DAY),
  SESSION_IDLE_SECONDS: String(7 * DAY),
  REFRESH_REUSE_GRACE_SECONDS: "10",
  // Every request here is one client (in-process, no socket): past the per-client limits, which throttling.test.ts covers.
  SIGNUPS_PER_CLIENT_PER_HOUR: "1000",
  LOGINS_PER_CLIENT_PER_MINUTE: "1000",
  REFRESHES_PER_CLIENT_PER_MINUTE: "1000",
};
const api = useUsersApi("users_sessions", { env });
const { call, clock } = api;
const advance = (seconds: number) => {
  clock.now += seconds * 1000;
};
const password = "correct horse battery";

async function logIn(email: string, userAgent = "test-agent", secret = password): Promise<Grant> {
  const { status, body } = await call("POST", "/login", {
    body: { email, password: secret },
    headers: { "user-agent": userAgent },
  });
  expect(status).toBe(200);
  return body;
}
const refresh = (refreshToken: string) => call("POST", "/refresh", { body: { refreshToken } });
const me = async (token: string) => (await call("GET", "/user", { token })).status;

let accounts = 0;
/** A new account, logged in `sessions` times. */
async function account(sessions = 1) {
  const email = `user-${++accounts}@example.com`;
  expect((await call("POST", "/signup", { body: { email, password } })).status).toBe(201);
  const grants: Grant[] = [];
  for (let i = 0; i < sessions; i++) grants.push(await logIn(email, `agent-${i}`));
  return { email, grants };
}

/** The sessions a user's document holds, by id. */
const storedSessions = async (userId: string) =>
  ((await api.db.collection("users").findOne({ _id: new Types.ObjectId(userId) }))?.sessions ?? {}) as Record<
    string,
    Record<string, unknown>
  >;

const metric = async (name: string) => {
  const text = await (await api.app.handle(request("GET", "/metrics"))).text();
  return Number(new RegExp(`^${name.replace(/[{}]/g, "\\$&")} (\\S+)$`, "m").exec(text)?.[1] ?? 0);
};

describe("login", () => {
  test("opens a session: a 15-minute access token with its sid, a refresh token, stored only as a hash", async () => {
    const { grants } = await account();
    const grant = grants[0]!;
    expect(grant).toEqual({
      token: expect.any(String),
      tokenType: "Bearer",
      expiresIn: 900,
      userId: expect.any(String),
      sessionId: expect.any(String),
      refreshToken: expect.any(String),
      refreshExpiresIn: 7 * DAY,
      deviceToken: expect.any(String),
    });
    const claims = JSON.parse(Buffer.from(grant.token.split(".")[1]!, "base64url").toString());
    expect(claims.sid).toBe(grant.sessionId);
    expect(claims.exp - claims.iat).toBe(900);
    // 256 random bits after the locator.
    expect(Buffer.from(grant.refreshToken.split(".").at(-1)!, "base64url").length).toBe(32);
    const stored = JSON.stringify(await api.db.collection("users").find({}).toArray());
    expect(stored).not.toContain(grant.refreshToken);
    expect(stored).not.toContain(grant.refreshToken.split(".").at(-1)!);
  });

  test("GET /sessions lists the caller's live sessions, marking the current one", async () => {
    const { grants } = await account(2);
    const { status, body } = await call("GET", "/sessions", { token: grants[1]!.token });
    expect(status).toBe(200);
    const at = new Date(clock.now).toISOString();
    const ends = new Date(clock.now + 7 * DAY * 1000).toISOString();
    expect(body).toEqual({
      sessions: [
        {
          id: grants[0]!.sessionId,
          createdAt: at,
          lastUsedAt: at,
          expiresAt: ends,
          userAgent: "agent-0",
          ip: "unknown",
          current: false,
        },
        {
          id: grants[1]!.sessionId,
          createdAt: at,
          lastUsedAt: at,
          expiresAt: ends,
          userAgent: "agent-1",
          ip: "unknown",
          current: true,
        },
      ],
    });
  });
});

test(`a login past ${SESSIONS_PER_ACCOUNT} live sessions ends the account's oldest, and only it`, async () => {
  const revokedBefore = await metric('sessions_revoked_total{reason="limit"}');
  const { email, grants } = await account(SESSIONS_PER_ACCOUNT);
  const newest = await logIn(email, "agent-new");
  expect([await me(grants[0]!.token), (await refresh(grants[0]!.refreshToken)).status]).toEqual([401, 401]);
  expect(await me(grants[1]!.token)).toBe(200);
  const { body } = await call("GET", "/sessions", { token: newest.token });
  const listed = (body as { sessions: { id: string }[] }).sessions.map(({ id }) => id);
  const kept = [...grants.slice(1), newest].map(({ sessionId }) => sessionId);
  expect(listed.toSorted()).toEqual(kept.toSorted());
  expect(Object.keys(await storedSessions(newest.userId)).toSorted()).toEqual(kept.toSorted());
  expect(await metric('sessions_revoked_total{reason="limit"}')).toBe(revokedBefore + 1);
}, 120_000);

describe("POST /refresh", () => {
  test("rotates: new tokens for the same session; the old refresh token, past the grace window, ends the session", async () => {
    const { grants } = await account();
    const first = grants[0]!;
    const reusesBefore = await metric('sessions_revoked_total{reason="reuse"}');
    const { status, body: second } = await refresh(first.refreshToken);
    expect(status).toBe(200);
    // Login's shape but the device token, which only a login hands out.
    expect(second).toEqual({
      ...first,
      deviceToken: undefined,
      token: expect.any(String),
      refreshToken: expect.any(String),
    });
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.token).not.toBe(first.token);
    expect(await me(second.token)).toBe(200);

    advance(11);
    expect((await refresh(first.refreshToken)).status).toBe(401);
    // Reuse: the whole session is gone, its newest tokens included, at once.
    expect((await refresh(second.refreshToken)).status).toBe(401);
    expect(await me(second.token)).toBe(401);
    expect(await me(first.token)).toBe(401);
    expect((await storedSessions(first.userId))[first.sessionId]).toBeUndefined();
    expect(await metric('sessions_revoked_total{reason="reuse"}')).toBe(reusesBefore + 1);
  });

  test("a copy of the database yields no refresh token: the attack on the first sealing scheme gets 401", async () => {
    const { grants } = await account();
    const first = grants[0]!;
    const rotated = await refresh(first.refreshToken);
    expect(rotated.status).toBe(200);
    // Everything an attacker holding the stored session has: the first scheme's key was
    // HMAC(SHA256(token), label), and SHA256(token) is the stored previousHash.
    const stored = (await storedSessions(first.userId))[first.sessionId] as Record<string, string | number>;
    expect(Object.keys(stored!).filter((key) => /seal/i.test(key))).toEqual(["successorSeal"]);
    const key = createHmac("sha256", Buffer.from(String(stored.previousHash), "base64url"))
      .update("refresh-token-successor")
      .digest();
    const sealed = Buffer.from(String(stored.successorSeal), "base64url");
    const secret = Buffer.from(sealed.map((byte, i) => byte ^ key[i]!)).toString("base64url");
    const forged = `${first.userId}.${first.sessionId}.${stored!.generation}.${secret}`;
    expect((await refresh(forged)).status).toBe(401);
    // The holder of the real token still gets the current one within the grace window.
    const again = await refresh(first.refreshToken);
    expect(again.status).toBe(200);
    expect(again.body.refreshToken).toBe(rotated.body.refreshToken);
  });

  test("the move into users' documents keeps listed sessions, not seals of the first scheme: the grace window ends for tokens rotated before", async () => {
    const { grants } = await account();
    const first = grants[0]!;
    const rotated = await refresh(first.refreshToken);
    expect(rotated.status).toBe(200);
    // Back to the first layout: a `sessions` collection, the ids listed in `users.sessionIds`, the seal of the first
    // scheme; and an unlisted session, which was already ended.
    const userId = new Types.ObjectId(first.userId);
    const { successorSeal, ...session } = (await storedSessions(first.userId))[first.sessionId]!;
    const ended = crypto.randomUUID();
    await api.db
      .collection("users")
      .updateOne({ _id: userId }, { $unset: { sessions: 1 }, $set: { sessionIds: [first.sessionId] } });
    await api.db.collection<{ _id: string } & Record<string, unknown>>("sessions").insertMany([
      { _id: first.sessionId, userId, ...session, sealedSuccessor: successorSeal },
      { _id: ended, userId, ...session },
    ]);
    await api.db.collection("migrations").deleteOne({ _id: "sessions.in-users" as never });
    const { logger, lines } = captureLogger("users-api");
    await prepareSessions(api.db, logger);
    expect(lines.find(({ migration }) => migration === "sessions.in-users")).toMatchObject({ moved: 1 });
    const user = await api.db.collection("users").findOne({ _id: userId });
    expect({ listed: user!.sessionIds, sessions: Object.keys(user!.sessions) }).toEqual({
      listed: undefined,
      sessions: [first.sessionId],
    });
    expect(Object.keys(user!.sessions[first.sessionId]).filter((key) => /seal/i.test(key))).toEqual([]);
    expect(await api.db.db!.listCollections({ name: "sessions" }).toArray()).toEqual([]);
    expect((await refresh(first.refreshToken)).status).toBe(401);
    expect((await refresh(rotated.body.refreshToken)).status).toBe(200);
  });

  test("within the grace window the just-rotated token gets the session's current tokens; the chain continues", async () => {
    const { grants } = await account();
    const first = grants[0]!;
    const tabA = await refresh(first.refreshToken);
    advance(9);
    const tabB = await refresh(first.refreshToken);
    expect([tabA.status, tabB.status]).toEqual([200, 200]);
    expect(tabB.body.refreshToken).toBe(tabA.body.refreshToken);
    expect(tabB.body.sessionId).toBe(first.sessionId);
    expect((await call("GET", "/sessions", { token: tabB.body.token })).body.sessions).toHaveLength(1);
    const next = await refresh(tabB.body.refreshToken);
    expect(next.status).toBe(200);
    expect(await me(next.body.token)).toBe(200);
    expect(await me(tabA.body.token)).toBe(200);
  });

  test("20 concurrent refreshes of one token: one rotation, all answered with the same chain", async () => {
    const { grants } = await account();
    const first = grants[0]!;
    const results = await Promise.all(Array.from({ length: 20 }, () => refresh(first.refreshToken)));
    expect(results.map(({ status }) => status)).toEqual(Array(20).fill(200));
    const refreshTokens = new Set(results.map(({ body }) => body.refreshToken));
    expect(refreshTokens.size).toBe(1);
    const stored = Object.entries(await storedSessions(first.userId));
    expect(stored.map(([id, { generation }]) => ({ id, generation }))).toEqual([
      { id: first.sessionId, generation: 1 },
    ]);
    // The one chain goes on.
    const [current] = refreshTokens;
    expect((await refresh(current!)).status).toBe(200);
  });

  test("refuses unknown, malformed and made-up tokens with 401 problem+json, changing nothing", async () => {
    const { grants } = await account();
    const { userId, sessionId, refreshToken } = grants[0]!;
    const madeUp = `${userId}.${sessionId}.0.${Buffer.alloc(32, 7).toString("base64url")}`;
    for (const token of ["nonsense", madeUp, `${userId}.${crypto.randomUUID()}.0.${"A".repeat(43)}`]) {
      const { status, body } = await refresh(token);
      expect(status).toBe(401);
      expect(body).toMatchObject({ status: 401, detail: "Invalid, expired or revoked refresh token" });
    }
    expect((await refresh(refreshToken)).status).toBe(200);
    expect((await call("POST", "/refresh", { body: {} })).status).toBe(422);
  });

  test("idle expiry: a session unrefreshed for SESSION_IDLE_SECONDS ends; each refresh moves it on", async () => {
    const { grants } = await account();
    let current = grants[0]!;
    const expiredBefore = await metric('sessions_revoked_total{reason="expiry"}');
    advance(7 * DAY - 60);
    current = (await refresh(current.refreshToken)).body;
    expect(current.refreshExpiresIn).toBe(7 * DAY);
    advance(7 * DAY - 60);
    const survived = await refresh(current.refreshToken);
    expect(survived.status).toBe(200);
    advance(7 * DAY);
    expect((await refresh(survived.body.refreshToken)).status).toBe(401);
    expect(await me(survived.body.token)).toBe(401);
    expect(await metric('sessions_revoked_total{reason="expiry"}')).toBe(expiredBefore + 1);
  });

  test("absolute expiry: SESSION_MAX_AGE_SECONDS after login, however often it was refreshed", async () => {
    const { grants } = await account();
    let current = grants[0]!;
    for (let day = 6; day < 30; day += 6) {
      advance(6 * DAY);
      const { status, body } = await refresh(current.refreshToken);
      expect({ day, status }).toEqual({ day, status: 200 });
      expect(body.refreshExpiresIn).toBe(Math.min(7 * DAY, (30 - day) * DAY));
      current = body;
    }
    advance(6 * DAY);
    expect((await refresh(current.refreshToken)).status).toBe(401);
    expect((await call("GET", "/sessions", { token: current.token })).status).toBe(401);
  });
});

describe("POST /logout", () => {
  test("local (the default) ends this session only; its access token is refused at once", async () => {
    const { grants } = await account(2);
    const [a, b] = grants as [Grant, Grant];
    expect((await call("POST", "/logout", { token: a.token })).status).toBe(204);
    expect(await me(a.token)).toBe(401);
    expect((await refresh(a.refreshToken)).status).toBe(401);
    expect(await me(b.token)).toBe(200);
    expect((await refresh(b.refreshToken)).status).toBe(200);
  });

  test("others ends every other session and keeps this one", async () => {
    const { grants } = await account(3);
    const [a, b, c] = grants as [Grant, Grant, Grant];
    expect((await call("POST", "/logout", { token: a.token, body: { scope: "others" } })).status).toBe(204);
    expect([await me(a.token), await me(b.token), await me(c.token)]).toEqual([200, 401, 401]);
    expect((await refresh(b.refreshToken)).status).toBe(401);
    const list = (await call("GET", "/sessions", { token: a.token })).body.sessions;
    expect(list.map(({ id }: { id: string }) => id)).toEqual([a.sessionId]);
  });

  test("others never brings back a session revoked at the same moment", async () => {
    const { grants } = await account(2);
    const [a, b] = grants as [Grant, Grant];
    // A's revocation of B lands the moment logout-others first writes (after its bearer check and its read).
    const model = api.db.model("User");
    const original = model.updateOne;
    let revoked: Promise<unknown> | undefined;
    model.updateOne = function (this: typeof model, ...args: never[]) {
      model.updateOne = original;
      revoked = call("DELETE", `/sessions/${b.sessionId}`, { token: a.token });
      const query = (original as (...args: never[]) => { exec(): Promise<unknown> }).apply(this, args);
      const exec = query.exec.bind(query);
      query.exec = () => revoked!.then(exec);
      return query;
    } as never;
    expect((await call("POST", "/logout", { token: b.token, body: { scope: "others" } })).status).toBe(204);
    expect((await revoked) as { status: number }).toMatchObject({ status: 204 });
    expect([await me(a.token), await me(b.token)]).toEqual([401, 401]);
    expect(await storedSessions(b.userId)).toEqual({});
  });

  test("global ends them all", async () => {
    const { grants } = await account(2);
    const [a, b] = grants as [Grant, Grant];
    expect((await call("POST", "/logout", { token: b.token, body: { scope: "global" } })).status).toBe(204);
    expect([await me(a.token), await me(b.token)]).toEqual([401, 401]);
    expect((await refresh(a.refreshToken)).status).toBe(401);
    expect(await storedSessions(a.userId)).toEqual({});
  });

  test("an unknown scope is 422 and ends nothing", async () => {
    const { grants } = await account();
    const { status, body } = await call("POST", "/logout", { token: grants[0]!.token, body: { scope: "everyone" } });
    expect(status).toBe(422);
    expect(body.errors.map(({ field }: { field: string }) => field)).toContain("scope");
    expect(await me(grants[0]!.token)).toBe(200);
  });
});

describe("DELETE /sessions/:id", () => {
  test("ends one of the caller's sessions", async () => {
    const { grants } = await account(2);
    const [a, b] = grants as [Grant, Grant];
    expect((await call("DELETE", `/sessions/${b.sessionId}`, { token: a.token })).status).toBe(204);
    expect([await me(a.token), await me(b.token)]).toEqual([200, 401]);
  });

  test("another user's session id is a 404 like a made-up one, and changes nothing", async () => {
    const { grants: mine } = await account();
    const { grants: theirs } = await account();
    const other = await call("DELETE", `/sessions/${theirs[0]!.sessionId}`, { token: mine[0]!.token });
    const madeUp = await call("DELETE", `/sessions/${crypto.randomUUID()}`, { token: mine[0]!.token });
    expect([other.status, madeUp.status]).toEqual([404, 404]);
    expect(other.body).toEqual(madeUp.body);
    expect(await me(theirs[0]!.token)).toBe(200);
    expect((await refresh(theirs[0]!.refreshToken)).status).toBe(200);
  });
});

describe("PUT /user/password", () => {
  test("a wrong current password is 403 naming currentPassword, and changes nothing", async () => {
    const { email, grants } = await account(2);
    const [a, b] = grants as [Grant, Grant];
    const before = await api.db.collection("users").findOne({ email });
    const { status, body } = await call("PUT", "/user/password", {
      token: a.token,
      body: { currentPassword: "not my password", newPassword: "a brand new passphrase" },
    });
    expect(status).toBe(403);
    expect(body.detail).toContain("currentPassword");
    expect((await api.db.collection("users").findOne({ email }))?.password).toBe(before?.password);
    expect([await me(a.token), await me(b.token)]).toEqual([200, 200]);
    const short = await call("PUT", "/user/password", {
      token: a.token,
      body: { currentPassword: password, newPassword: "short" },
    });
    expect(short.status).toBe(422);
    expect(short.body.errors.map(({ field }: { field: string }) => field)).toEqual(["newPassword"]);
    expect((await api.db.collection("users").findOne({ email }))?.password).toBe(before?.password);
  });

  test("the right one changes it, ends every other session and keeps this one", async () => {
    const { email, grants } = await account(3);
    const [a, b, c] = grants as [Grant, Grant, Grant];
    const newPassword = "a brand new passphrase";
    const changed = await call("PUT", "/user/password", {
      token: a.token,
      body: { currentPassword: password, newPassword },
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toEqual({ deviceToken: expect.stringMatching(/^[\w-]{43}$/) });
    expect([await me(a.token), await me(b.token), await me(c.token)]).toEqual([200, 401, 401]);
    expect((await refresh(b.refreshToken)).status).toBe(401);
    expect((await refresh(a.refreshToken)).status).toBe(200);
    expect((await call("POST", "/login", { body: { email, password } })).status).toBe(401);
    await logIn(email, "after", newPassword);
  });
});

test("deleting the account ends every session", async () => {
  const { grants } = await account(2);
  const [a, b] = grants as [Grant, Grant];
  expect((await call("DELETE", "/user", { token: a.token, body: { password } })).status).toBe(204);
  expect([await me(a.token), await me(b.token)]).toEqual([401, 401]);
  expect([(await refresh(a.refreshToken)).status, (await refresh(b.refreshToken)).status]).toEqual([401, 401]);
  expect(await api.db.collection("users").countDocuments({ _id: new Types.ObjectId(a.userId) })).toBe(0);
});

test("metrics count sessions created, refreshed and revoked by reason", async () => {
  // Counted from what this test does (the limit's count is the login-past-the-limit test's own).
  const reasons = ["logout", "reuse", "password_change", "deletion", "expiry"];
  const counts = async (): Promise<Record<string, number>> => ({
    created: await metric("sessions_created_total"),
    refreshed: await metric("sessions_refreshed_total"),
    ...Object.fromEntries(
      await Promise.all(
        reasons.map(async (reason) => [reason, await metric(`sessions_revoked_total{reason="${reason}"}`)] as const),
      ),
    ),
  });
  const before = await counts();

  const loggedOut = (await account()).grants[0]!;
  expect((await call("POST", "/logout", { token: loggedOut.token })).status).toBe(204);
  const reused = (await account()).grants[0]!;
  expect((await refresh(reused.refreshToken)).status).toBe(200);
  advance(11);
  expect((await refresh(reused.refreshToken)).status).toBe(401);
  const changed = (await account(2)).grants[0]!;
  const newPassword = "a brand new passphrase";
  const change = await call("PUT", "/user/password", {
    token: changed.token,
    body: { currentPassword: password, newPassword },
  });
  expect(change.status).toBe(200);
  const deleted = (await account()).grants[0]!;
  expect((await call("DELETE", "/user", { token: deleted.token, body: { password } })).status).toBe(204);
  const idle = (await account()).grants[0]!;
  advance(7 * DAY);
  expect((await refresh(idle.refreshToken)).status).toBe(401);

  const after = await counts();
  expect(Object.fromEntries(Object.entries(after).map(([name, count]) => [name, count - (before[name] ?? 0)]))).toEqual(
    {
      created: 6,
      refreshed: 1,
      logout: 1,
      reuse: 1,
      password_change: 1,
      deletion: 1,
      expiry: 1,
    },
  );
});

test("refresh tokens appear in no log line, no error and no response but login's and refresh's", async () => {
  // Its own tokens, through each path that handles one (other tests' are checked too, when they ran first).
  const from = api.responses.length;
  const { email, grants } = await account(3);
  const [a, b, c] = grants as [Grant, Grant, Grant];
  const rotated = (await refresh(a.refreshToken)).body as Grant;
  expect((await refresh(rotated.refreshToken)).status).toBe(200);
  advance(11);
  expect((await refresh(a.refreshToken)).status).toBe(401);
  expect((await refresh(`${b.refreshToken}x`)).status).toBe(401);
  expect((await call("POST", "/logout", { token: b.token })).status).toBe(204);
  expect((await refresh(b.refreshToken)).status).toBe(401);
  await logIn(email, "later");
  expect((await call("GET", "/sessions", { token: c.token })).status).toBe(200);
  const tokensIn = (entries: typeof api.responses) =>
    entries.flatMap(({ text }) => [...text.matchAll(/"refreshToken":"([^"]+)"/g)].map((m) => m[1]!));
  // Three logins, two refreshes, one more login.
  expect(tokensIn(api.responses.slice(from))).toHaveLength(6);

  const refreshTokens = tokensIn(api.responses);
  const elsewhere = api.responses
    .filter(
      ({ method, path, text }) =>
        !(method === "POST" && ["/login", "/refresh"].includes(path) && text.startsWith('{"token"')),
    )
    .map(({ text }) => text);
  const everything = JSON.stringify({ elsewhere, logs: [...api.lines, ...api.authApi.lines] });
  for (const token of refreshTokens) {
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(token.split(".").at(-1)!);
  }
});
