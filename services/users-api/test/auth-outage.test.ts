// users-api when auth-api is down or hangs: 503 problem+json within the configured timeout. A
// hanging auth-api cannot be produced on demand, so a server that accepts and never answers stands in.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Connection } from "mongoose";
import { connectTestDatabase, dropTestDatabase } from "./database.ts";
import { captureLogger } from "@accounts/shared/testing";
import { buildUsersApp, request, startAuthApi } from "./support.ts";
import { prepareDatabase } from "../src/prepare.ts";

let db: Connection;
const timeoutMs = 300;

beforeAll(async () => {
  db = await connectTestDatabase("users_auth_outage");
  await prepareDatabase(db, captureLogger("users-api").logger);
});
afterAll(() => dropTestDatabase(db));

async function expectUnavailable(app: ReturnType<typeof buildUsersApp>["app"], ...args: Parameters<typeof request>) {
  const started = performance.now();
  const response = await app.handle(request(...args));
  expect(response.status).toBe(503);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  expect(response.headers.get("retry-after")).toBe("1");
  expect(await response.json()).toMatchObject({ status: 503, title: "Service Unavailable" });
  // Bounded by the timeout, with generous room for a busy machine: the point is "not a hang".
  expect(performance.now() - started).toBeLessThan(timeoutMs + 3_000);
}

const credentials = { email: "ada@example.com", password: "correct horse battery" };

describe.each([
  [
    "stopped",
    () => {
      const server = Bun.serve({ port: 0, fetch: () => new Response() });
      server.stop(true);
      return { url: server.url.href, stop: () => {} };
    },
  ],
  [
    "hanging",
    () => {
      const server = Bun.serve({ port: 0, fetch: () => new Promise<Response>(() => {}) });
      return { url: server.url.href, stop: () => server.stop(true) };
    },
  ],
] as const)("auth-api %s", (_, startAuth) => {
  let auth: ReturnType<typeof startAuth>;
  let app: ReturnType<typeof buildUsersApp>["app"];
  beforeAll(() => {
    auth = startAuth();
    app = buildUsersApp(db, auth.url, { timeoutMs }).app;
  });
  afterAll(() => auth.stop());

  test("sign-up answers 503", () => expectUnavailable(app, "POST", "/signup", { body: credentials }));
  test("login answers 503", () => expectUnavailable(app, "POST", "/login", { body: credentials }));
  test("a token cannot be checked without auth-api's keys: 503", () =>
    expectUnavailable(app, "GET", "/user", { token: "eyJhbGciOiJFZERTQSIsImtpZCI6InVua25vd24ifQ.e30.c2ln" }));
  test("a refresh token that is not genuine is refused (401) without asking auth-api for a signature", async () => {
    const forged = `${"a".repeat(24)}.${crypto.randomUUID()}.0.${"A".repeat(43)}`;
    const response = await app.handle(request("POST", "/refresh", { body: { refreshToken: forged } }));
    expect(response.status).toBe(401);
  });
  test("/ready names auth-api as down", async () => {
    const response = await app.handle(request("GET", "/ready"));
    expect(response.status).toBe(503);
    expect(((await response.json()) as { checks: unknown }).checks).toEqual({ mongodb: "up", authApi: "down" });
  });
});

test("/ready gives up on a hanging auth-api at its own deadline, well before AUTH_API_TIMEOUT_MS, and cancels the call", async () => {
  let cancelled = false;
  const server = Bun.serve({
    port: 0,
    fetch: (incoming) => {
      incoming.signal.addEventListener("abort", () => (cancelled = true));
      return new Promise<Response>(() => {});
    },
  });
  try {
    const { app } = buildUsersApp(db, server.url.href, { timeoutMs: 10_000 });
    const started = performance.now();
    const response = await app.handle(request("GET", "/ready"));
    expect(response.status).toBe(503);
    expect(performance.now() - started).toBeLessThan(5_000);
    for (const deadline = Date.now() + 2_000; !cancelled && Date.now() < deadline; ) await Bun.sleep(20);
    expect(cancelled).toBe(true);
  } finally {
    server.stop(true);
  }
});

test("tokens keep working while auth-api is down once its keys are cached; a new key is fetched when it returns", async () => {
  let now = Date.now();
  const authApi = await startAuthApi(0, {}, () => now);
  const port = new URL(authApi.url).port;
  const { app } = buildUsersApp(db, authApi.url, { timeoutMs, clock: () => now });
  expect((await app.handle(request("POST", "/signup", { body: credentials }))).status).toBe(201);
  const { token } = (await (await app.handle(request("POST", "/login", { body: credentials }))).json()) as {
    token: string;
  };
  expect((await app.handle(request("GET", "/user", { token }))).status).toBe(200);

  await authApi.stop();
  expect((await app.handle(request("GET", "/user", { token }))).status).toBe(200);
  await expectUnavailable(app, "POST", "/signup", { body: { ...credentials, email: "grace@example.com" } });
  // Past the keys' cache age (10 minutes), within the token's 15 (11 minutes on): the reload fails, the keys fetched before
  // stay in use, and the token is judged by the same clock.
  now += 660_000;
  expect((await app.handle(request("GET", "/user", { token }))).status).toBe(200);
  expect((await app.handle(request("GET", "/user", { token }))).status).toBe(200);
  // A kid never seen cannot be checked while auth-api is down: 503, as for keys never fetched.
  const [header, payload, signature] = token.split(".");
  const otherKid = Buffer.from(JSON.stringify({ alg: "EdDSA", kid: "not-fetched-yet" })).toString("base64url");
  expect(header).not.toBe(otherKid);
  await expectUnavailable(app, "GET", "/user", { token: `${otherKid}.${payload}.${signature}` });

  // Back on the same port, signing with a new key (as after a rotation): its unknown kid makes
  // users-api fetch the JWKS again.
  const again = await startAuthApi(Number(port), {}, () => now);
  try {
    const grace = { ...credentials, email: "grace@example.com" };
    expect((await app.handle(request("POST", "/signup", { body: grace }))).status).toBe(201);
    const { token: newToken } = (await (await app.handle(request("POST", "/login", { body: grace }))).json()) as {
      token: string;
    };
    now += 1_000; // users-api fetches the JWKS at most once a second
    expect((await app.handle(request("GET", "/user", { token: newToken }))).status).toBe(200);
  } finally {
    await again.stop();
  }
});

test("an INTERNAL_TOKEN that auth-api refuses is our misconfiguration: 503 on login, never a wrong-password 401", async () => {
  const authApi = await startAuthApi();
  try {
    const { app } = buildUsersApp(db, authApi.url, { timeoutMs, token: "not-the-internal-token-auth-api-expects" });
    await expectUnavailable(app, "POST", "/signup", { body: credentials });
    await expectUnavailable(app, "POST", "/login", { body: credentials });
  } finally {
    await authApi.stop();
  }
});
