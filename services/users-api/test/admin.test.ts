// The admin app (ADMIN_PORT) through app.handle, with the real auth-api and a real database: each route's effect is
// seen through the public API, as the user would meet it.
import { describe, expect, test } from "bun:test";
import { Types } from "mongoose";
import { accountKey } from "../src/throttling/collection.ts";
import { ACCOUNT_DISABLED_PROBLEM } from "../src/problems.ts";
import { request, useUsersApi } from "./support.ts";
import { totpCode } from "./totp.ts";

const adminToken = "admin-token-for-tests-only-0123456789abcdef";
const password = "correct horse battery";
const STEP_MS = 30_000;

const api = useUsersApi("users_admin", {
  env: {
    ADMIN_TOKEN: adminToken,
    LOGINS_PER_CLIENT_PER_MINUTE: "1000",
    SIGNUPS_PER_CLIENT_PER_HOUR: "1000",
    REFRESHES_PER_CLIENT_PER_MINUTE: "1000",
    EMAIL_REQUESTS_PER_CLIENT_PER_HOUR: "1000",
  },
  newHourEachTest: true,
});
const { call, clock } = api;
const admin = (method: string, path: string, body?: unknown, token = adminToken) =>
  call(method, path, { body, token }, api.admin!);

const logIn = (email: string, secret = password) => call("POST", "/login", { body: { email, password: secret } });

let accounts = 0;
/** A new account, its address and id, and a session (its access and refresh tokens). */
async function account(prefix = "admin") {
  const email = `${prefix}-${++accounts}@example.com`;
  const signedUp = await call("POST", "/signup", { body: { email, password } });
  expect(signedUp.status).toBe(201);
  await api.mailbox.next(email);
  const { token, refreshToken } = (await logIn(email)).body;
  return { email, id: signedUp.body.user.id as string, token: token as string, refreshToken: refreshToken as string };
}

const unknownId = String(new Types.ObjectId());

describe("the admin listener", () => {
  test("refuses a request without the token, or with a wrong one, before validating it", async () => {
    const { id } = await account();
    for (const token of [undefined, "", `${adminToken}x`, adminToken.slice(0, -1)]) {
      const response = await api.admin!.handle(request("GET", `/admin/users/${id}`, { token }));
      expect(response.status).toBe(401);
      expect(response.headers.get("content-type")).toStartWith("application/problem+json");
      expect(await response.text()).not.toContain(adminToken);
    }
    expect((await admin("GET", "/admin/users/not-an-id", undefined, "wrong-token")).status).toBe(401);
    expect((await admin("GET", `/admin/users/${id}`)).status).toBe(200);
  });

  test("the public app does not serve /admin, and neither OpenAPI document shows the other's routes", async () => {
    const { id } = await account();
    for (const path of ["/admin/users", `/admin/users/${id}`])
      expect((await call("GET", path, { token: adminToken })).status).toBe(404);
    expect((await call("DELETE", `/admin/users/${id}`, { token: adminToken })).status).toBe(404);
    const publicPaths = Object.keys((await call("GET", "/swagger/json")).body.paths);
    const adminPaths = Object.keys((await admin("GET", "/swagger/json")).body.paths);
    expect(publicPaths.filter((path) => path.startsWith("/admin"))).toEqual([]);
    expect(adminPaths.filter((path) => path.startsWith("/admin")).toSorted()).toEqual([
      "/admin/audit",
      "/admin/users",
      "/admin/users/{id}",
      "/admin/users/{id}/disable",
      "/admin/users/{id}/enable",
      "/admin/users/{id}/logout",
      "/admin/users/{id}/mfa",
      "/admin/users/{id}/password-reset",
    ]);
    expect(adminPaths).not.toContain("/login");
  });

  test("an unknown id is 404 and a malformed one 422, on every route, as problem+json", async () => {
    const routes: [string, string, unknown?][] = [
      ["GET", ""],
      ["POST", "/disable", { reason: "test" }],
      ["POST", "/enable"],
      ["POST", "/logout"],
      ["DELETE", "/mfa"],
      ["POST", "/password-reset"],
      ["DELETE", ""],
    ];
    for (const [method, suffix, body] of routes) {
      const unknown = await admin(method, `/admin/users/${unknownId}${suffix}`, body);
      expect([method, suffix, unknown.status]).toEqual([method, suffix, 404]);
      expect(unknown.headers.get("content-type")).toStartWith("application/problem+json");
      const malformed = await admin(method, `/admin/users/${unknownId.slice(1)}z${suffix}`, body);
      expect([method, suffix, malformed.status]).toEqual([method, suffix, 422]);
    }
  });
});

describe("GET /admin/users", () => {
  test("finds addresses by a normalized prefix, by address, a page at a time", async () => {
    const emails = ["paging-c@example.com", "paging-a@example.com", "paging-b@example.com", "paging-d@example.com"];
    for (const email of emails) expect((await call("POST", "/signup", { body: { email, password } })).status).toBe(201);
    await call("POST", "/signup", { body: { email: "pagina@example.com", password } });
    const pages: string[][] = [];
    let after: string | null = null;
    do {
      const query: string = `email=${encodeURIComponent("  PAGING-")}&limit=3${after ? `&after=${after}` : ""}`;
      const { status, body } = await admin("GET", `/admin/users?${query}`);
      expect(status).toBe(200);
      pages.push(body.users.map((user: { email: string }) => user.email));
      after = body.next;
    } while (after !== null && pages.length < 5);
    expect(pages).toEqual([emails.slice(0, 3).toSorted(), ["paging-d@example.com"]]);
    expect((await admin("GET", "/admin/users?email=paging-zz")).body).toEqual({ users: [], next: null });
  });

  test("each user: id, address, dates, verified, disabled, TOTP and the last login", async () => {
    const { email, id } = await account("shape");
    const { body } = await admin("GET", `/admin/users?email=${email}`);
    expect(body).toEqual({
      users: [
        {
          id,
          email,
          createdAt: expect.any(String),
          emailVerified: false,
          disabled: false,
          mfa: { totp: false },
          lastLoginAt: new Date(clock.now).toISOString(),
        },
      ],
      next: null,
    });
  });

  test("limit above 100, below 1, or a malformed cursor is 422", async () => {
    for (const query of ["limit=101", "limit=0", "after=not%20base64url"])
      expect((await admin("GET", `/admin/users?${query}`)).status).toBe(422);
  });
});

describe("the actions", () => {
  test("GET /admin/users/:id: the user and its sessions, as GET /sessions shows them without `current`", async () => {
    const { email, id, token } = await account();
    clock.now += 1000;
    await logIn(email);
    const { status, body } = await admin("GET", `/admin/users/${id}`);
    expect(status).toBe(200);
    expect(body.user).toMatchObject({ id, email, disabled: false, lastLoginAt: new Date(clock.now).toISOString() });
    const own = (await call("GET", "/sessions", { token })).body.sessions;
    expect(body.sessions).toEqual(own.map(({ current: _, ...session }: { current: boolean }) => session));
    expect(body.sessions).toHaveLength(2);
  });

  test("disable: sessions end, refresh is 401, a right password 403 account-disabled and a wrong one 401; enable restores login", async () => {
    const { email, id, token, refreshToken } = await account();
    const devices = await api.db.collection("throttles").findOne({ _id: accountKey(email) } as object);
    expect(Object.keys(devices?.devices ?? {})).toHaveLength(1);
    expect((await admin("POST", `/admin/users/${id}/disable`, { reason: "reported as compromised" })).status).toBe(204);
    expect((await call("GET", "/user", { token })).status).toBe(401);
    expect((await call("POST", "/refresh", { body: { refreshToken } })).status).toBe(401);
    const right = await logIn(email);
    expect(right.status).toBe(403);
    expect(right.body.type).toBe(ACCOUNT_DISABLED_PROBLEM);
    expect(right.headers.get("set-cookie")).toBeNull();
    const wrong = await logIn(email, "not the password at all");
    expect(wrong.status).toBe(401);
    expect(wrong.body.type).not.toBe(ACCOUNT_DISABLED_PROBLEM);
    expect(
      (await api.db.collection("throttles").findOne({ _id: accountKey(email) } as object))?.devices,
    ).toBeUndefined();
    expect((await admin("GET", `/admin/users/${id}`)).body).toMatchObject({ user: { disabled: true }, sessions: [] });

    expect((await admin("POST", `/admin/users/${id}/enable`)).status).toBe(204);
    const again = await logIn(email);
    expect(again.status).toBe(200);
    expect((await call("GET", "/user", { token: again.body.token })).status).toBe(200);
  });

  test("disable needs a reason", async () => {
    const { id } = await account();
    for (const body of [undefined, {}, { reason: "" }])
      expect((await admin("POST", `/admin/users/${id}/disable`, body)).status).toBeOneOf([400, 422]);
    expect((await admin("GET", `/admin/users/${id}`)).body.user.disabled).toBe(false);
  });

  test("logout: every session of the user ends at once", async () => {
    const { email, id, token, refreshToken } = await account();
    const second = (await logIn(email)).body;
    expect((await admin("POST", `/admin/users/${id}/logout`)).status).toBe(204);
    for (const access of [token, second.token])
      expect((await call("GET", "/user", { token: access })).status).toBe(401);
    expect((await call("POST", "/refresh", { body: { refreshToken } })).status).toBe(401);
    expect((await logIn(email)).status).toBe(200);
  });

  describe("with TOTP on", () => {
    async function withTotp() {
      const { email, id, token } = await account("totp");
      const { secret } = (await call("POST", "/mfa/totp", { token, body: { password } })).body;
      expect(
        (await call("POST", "/mfa/totp/confirm", { token, body: { code: totpCode(secret, clock.now) } })).status,
      ).toBe(200);
      await api.mailbox.next(email);
      clock.now += STEP_MS;
      return { email, id, token, secret: secret as string };
    }

    test("an MFA reset: one-step login again, every session ended, a notice; a second reset is 409", async () => {
      const { email, id, token } = await withTotp();
      expect((await logIn(email)).body.mfaRequired).toBe(true);
      expect((await admin("DELETE", `/admin/users/${id}/mfa`)).status).toBe(204);
      expect((await api.mailbox.next(email)).subject).toBe("Two-step login was turned off by support");
      expect((await call("GET", "/user", { token })).status).toBe(401);
      const login = await logIn(email);
      expect(login.status).toBe(200);
      expect(login.body.token).toBeString();
      expect((await call("GET", "/user", { token: login.body.token })).body.user.mfa).toEqual({
        totp: false,
        recoveryCodesLeft: 0,
      });
      expect((await admin("DELETE", `/admin/users/${id}/mfa`)).status).toBe(409);
    });

    test("disabled between the two steps: the right code gets 403 account-disabled, a wrong one 401", async () => {
      const { email, id, secret } = await withTotp();
      const { mfaToken } = (await logIn(email)).body;
      expect((await admin("POST", `/admin/users/${id}/disable`, { reason: "test" })).status).toBe(204);
      expect((await call("POST", "/login/mfa", { body: { mfaToken, code: "000000" } })).status).toBe(401);
      const right = await call("POST", "/login/mfa", { body: { mfaToken, code: totpCode(secret, clock.now) } });
      expect(right.status).toBe(403);
      expect(right.body.type).toBe(ACCOUNT_DISABLED_PROBLEM);
    });
  });

  test("password-reset: 202, and the user gets a reset link that works", async () => {
    const { email, id } = await account();
    const { status, body } = await admin("POST", `/admin/users/${id}/password-reset`);
    expect(status).toBe(202);
    expect(body).toEqual({ message: expect.any(String) });
    const mail = await api.mailbox.next(email);
    const token = /#token=([\w-]+)/.exec(mail.text ?? "")![1];
    expect(mail.text).toContain("/reset-password#token=");
    const reset = await call("POST", "/password/reset", { body: { token, newPassword: "a brand new passphrase" } });
    expect(reset.status).toBe(200);
    expect((await logIn(email, "a brand new passphrase")).status).toBe(200);
  });

  test("delete: the account, its sessions and throttling documents go; the address is free again", async () => {
    const { email, id, token } = await account();
    expect((await admin("DELETE", `/admin/users/${id}`)).status).toBe(204);
    expect((await call("GET", "/user", { token })).status).toBe(401);
    expect(await api.db.collection("throttles").findOne({ _id: accountKey(email) } as object)).toBeNull();
    expect((await logIn(email)).status).toBe(401);
    expect((await call("POST", "/signup", { body: { email, password } })).status).toBe(201);
    expect((await admin("GET", `/admin/users/${id}`)).status).toBe(404);
  });
});

describe("the audit trail", () => {
  test("every admin action leaves one event, actor admin, with the operator's client; GET /admin/audit filters and pages", async () => {
    const { id, email } = await account("audited");
    const actions: [string, string, unknown?][] = [
      ["GET", `/admin/users?email=${encodeURIComponent(email)}`],
      ["GET", `/admin/users/${id}`],
      ["POST", `/admin/users/${id}/disable`, { reason: "test" }],
      ["POST", `/admin/users/${id}/enable`],
      ["POST", `/admin/users/${id}/logout`],
      ["POST", `/admin/users/${id}/password-reset`],
    ];
    for (const [method, path, body] of actions) expect((await admin(method, path, body)).status).toBeLessThan(300);
    const { status, body } = await admin("GET", `/admin/audit?userId=${id}&limit=5`);
    expect(status).toBe(200);
    expect(body.events.map((event: { type: string }) => event.type)).toEqual([
      "admin.password_reset_sent",
      "admin.sessions_ended",
      "account.enabled",
      "account.disabled",
      "admin.user_viewed",
    ]);
    for (const event of body.events)
      expect(event).toEqual({
        // Each event's own type is the list's above.
        type: expect.stringMatching(/^(admin|account)\.[a-z_]+$/),
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        userId: id,
        actor: "admin",
        ip: expect.any(String),
        userAgent: null,
        requestId: expect.any(String),
      });
    const older = await admin("GET", `/admin/audit?userId=${id}&after=${body.next}`);
    expect(older.body.events.map((event: { type: string }) => event.type)).toEqual([
      "login.succeeded",
      "account.created",
    ]);
    const searches = await admin("GET", "/admin/audit?type=admin.users_searched&limit=1");
    expect(searches.body.events).toEqual([expect.objectContaining({ type: "admin.users_searched", email })]);
    expect((await admin("DELETE", `/admin/users/${id}`)).status).toBe(204);
    const deleted = await admin("GET", `/admin/audit?userId=${id}&type=account.deleted`);
    expect(deleted.body.events).toEqual([expect.objectContaining({ type: "account.deleted", actor: "admin" })]);
  });

  test("GET /admin/audit refuses an unknown type or a malformed user id (422), and needs the token", async () => {
    expect((await admin("GET", "/admin/audit?type=nothing.happened")).status).toBe(422);
    expect((await admin("GET", "/admin/audit?userId=not-an-id")).status).toBe(422);
    expect((await admin("GET", "/admin/audit", undefined, "wrong-token-wrong-token-wrong-token")).status).toBe(401);
  });
});
