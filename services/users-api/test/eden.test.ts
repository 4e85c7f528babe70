// The client a TypeScript front end uses: Eden Treaty typed from `UsersApp`, driving the real app (the real
// auth-api in this process, a real database). Eden takes the app itself and calls it through `app.handle`.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { treaty } from "@elysiajs/eden";
import type { Connection } from "mongoose";
import type { UsersApp } from "../src/app.ts";
import { captureLogger } from "@accounts/shared/testing";
import { connectTestDatabase, dropTestDatabase } from "./database.ts";
import { buildUsersApp, startAuthApi } from "./support.ts";
import { prepareDatabase } from "../src/prepare.ts";

let db: Connection;
let authApi: Awaited<ReturnType<typeof startAuthApi>>;
let api: ReturnType<typeof treaty<UsersApp>>;

beforeAll(async () => {
  db = await connectTestDatabase("users_eden");
  await prepareDatabase(db, captureLogger("users-api").logger);
  authApi = await startAuthApi();
  api = treaty<UsersApp>(buildUsersApp(db, authApi.url).app);
});
afterAll(async () => {
  await authApi.stop();
  await dropTestDatabase(db);
});

test("sign-up, login and GET /user through the typed client", async () => {
  const credentials = { email: " Eden@Example.com", password: "correct horse battery" };

  const signedUp = await api.signup.post(credentials);
  expect(signedUp.status).toBe(201);
  expect(signedUp.error).toBeNull();
  const user = signedUp.data!.user;
  const stored = await db.collection("users").findOne({ email: "eden@example.com" });
  // Eden turns ISO date strings in a JSON response into Date objects (its types still say string).
  expect(user).toEqual({
    id: String(stored!._id),
    email: "eden@example.com",
    createdAt: stored!.createdAt,
    emailVerified: false,
    mfa: { totp: false, recoveryCodesLeft: 0 },
  });

  const loggedIn = await api.login.post(credentials);
  expect(loggedIn.status).toBe(200);
  const session = loggedIn.data!;
  if ("mfaRequired" in session) throw new Error("no second factor was turned on");
  expect(session).toEqual({
    token: session.token,
    tokenType: "Bearer",
    expiresIn: 900,
    userId: user.id,
    sessionId: session.sessionId,
    refreshToken: session.refreshToken,
    refreshExpiresIn: 7 * 24 * 3600,
    deviceToken: session.deviceToken,
  });
  expect(session.deviceToken).toMatch(/^[\w-]{43}$/);
  expect(session.token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);

  const me = await api.user.get({ headers: { authorization: `Bearer ${session.token}` } });
  expect(me.status).toBe(200);
  expect(me.data).toEqual({ user });
});

test("errors arrive as problem+json in `error`, typed by status", async () => {
  const refused = await api.user.get({ headers: { authorization: "Bearer not.a.token" } });
  expect(refused.data).toBeNull();
  expect(refused.status).toBe(401);
  expect(refused.error?.value).toEqual({
    type: "about:blank",
    title: "Unauthorized",
    status: 401,
    detail: "Missing, invalid or expired bearer token",
  });
});
