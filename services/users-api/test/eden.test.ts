// The client a TypeScript front end uses: Eden Treaty typed from `UsersApp`, driving the real app (the real
// auth-api in this process, a real database). Eden takes the app itself and calls it through `app.handle`. What it
// answers is checked against a second source: the database, auth-api's published keys, the injected clock.
import { beforeAll, expect, test } from "bun:test";
import { TOKEN_VERIFY_OPTIONS } from "@accounts/shared";
import { treaty } from "@elysiajs/eden";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { tokenHash } from "../src/secret-token.ts";
import type { UsersApp } from "../src/app.ts";
import { useUsersApi } from "./support.ts";

// A whole second, so the token's iat (in seconds) is exact.
const now = Math.floor(Date.now() / 1000) * 1000;
const api = useUsersApi("users_eden", { start: now });
let client: ReturnType<typeof treaty<UsersApp>>;
beforeAll(() => {
  client = treaty<UsersApp>(api.app);
});

test("sign-up, login and GET /user through the typed client", async () => {
  const credentials = { email: " Eden@Example.com", password: "correct horse battery" };

  const signedUp = await client.signup.post(credentials);
  expect(signedUp.status).toBe(201);
  expect(signedUp.error).toBeNull();
  const user = signedUp.data!.user;
  const stored = await api.db.collection("users").findOne({ email: "eden@example.com" });
  // Eden turns ISO date strings in a JSON response into Date objects (its types still say string).
  expect(stored).toMatchObject({ email: "eden@example.com", createdAt: new Date(now), emailVerified: false });
  expect(user).toEqual({
    id: String(stored!._id),
    email: "eden@example.com",
    createdAt: new Date(now) as unknown as string,
    emailVerified: false,
    mfa: { totp: false, recoveryCodesLeft: 0 },
  });

  const loggedIn = await client.login.post(credentials);
  expect(loggedIn.status).toBe(200);
  const session = loggedIn.data!;
  if ("mfaRequired" in session) throw new Error("no second factor was turned on");
  const afterLogin = await api.db.collection("users").findOne({ _id: stored!._id });
  const sessionIds = Object.keys(afterLogin!.sessions);
  expect(sessionIds).toHaveLength(1);
  const sessionId = sessionIds[0]!;
  expect(session).toEqual({
    token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
    tokenType: "Bearer",
    expiresIn: 900,
    userId: String(stored!._id),
    sessionId,
    // user id, session id, generation, 256 random bits.
    refreshToken: expect.stringMatching(new RegExp(`^${stored!._id}\\.${sessionId}\\.0\\.[\\w-]{43}$`)),
    refreshExpiresIn: 7 * 24 * 3600,
    deviceToken: expect.stringMatching(/^[\w-]{43}$/),
  });
  // The access token verifies against auth-api's published keys, for this user and session, dated by the clock.
  const jwks = createRemoteJWKSet(new URL("/.well-known/jwks.json", api.authApi.url));
  const { payload } = await jwtVerify(session.token, jwks, { ...TOKEN_VERIFY_OPTIONS, currentDate: new Date(now) });
  expect(payload).toMatchObject({ sub: String(stored!._id), sid: sessionId, iat: now / 1000, exp: now / 1000 + 900 });
  // The device token is the one whose hash the account's throttle document holds.
  const throttle = await api.db.collection("throttles").findOne({ _id: "login-account:eden@example.com" as never });
  expect(Object.keys(throttle!.devices)).toEqual([tokenHash(session.deviceToken)]);

  const me = await client.user.get({ headers: { authorization: `Bearer ${session.token}` } });
  expect(me.status).toBe(200);
  expect(me.data).toEqual({ user });
});

test("errors arrive as problem+json in `error`, typed by status", async () => {
  const refused = await client.user.get({ headers: { authorization: "Bearer not.a.token" } });
  expect(refused.data).toBeNull();
  expect(refused.status).toBe(401);
  expect(refused.error?.value).toEqual({
    type: "about:blank",
    title: "Unauthorized",
    status: 401,
    detail: "Missing, invalid or expired bearer token",
  });
});
