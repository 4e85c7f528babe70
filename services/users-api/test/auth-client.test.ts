// The client against stand-in HTTP servers for the failure modes a real auth-api cannot be made to
// show on demand (hanging, answering 5xx); the contract itself is tested against the real
// auth-api in users.test.ts and the integration suite.
import { afterEach, describe, expect, test } from "bun:test";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { createAuthClient } from "../src/auth-client/client.ts";
import { AuthUnavailableError } from "../src/problems.ts";
import { createLogger, type Logger, TOKEN_AUDIENCE, TOKEN_ISSUER } from "@accounts/shared";
import { captureLogger } from "@accounts/shared/testing";

let server: ReturnType<typeof Bun.serve> | undefined;
afterEach(() => server?.stop(true));

const clientFor = (
  url: string,
  timeoutMs = 200,
  clock: () => number = Date.now,
  logger: Logger = captureLogger("users-api").logger,
) => createAuthClient({ url, internalToken: "internal-token-for-tests-0123456789", timeoutMs, logger, clock });

describe("auth client", () => {
  test("a slow auth-api ends in AuthUnavailableError after the timeout, not a hang", async () => {
    server = Bun.serve({ port: 0, fetch: () => new Promise<Response>(() => {}) });
    const started = performance.now();
    const error = await clientFor(server.url.href)
      .hashPassword("password123", "req-1")
      .catch((e) => e);
    expect(error).toBeInstanceOf(AuthUnavailableError);
    expect(error.reason).toBe("timeout");
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  test("a stopped auth-api ends in AuthUnavailableError", async () => {
    server = Bun.serve({ port: 0, fetch: () => new Response() });
    const url = server.url.href;
    server.stop(true);
    const error = await clientFor(url)
      .issueToken({ userId: "u", password: "p", sessionId: "s" }, "req-1")
      .catch((e) => e);
    expect(error).toBeInstanceOf(AuthUnavailableError);
    expect(error.reason).toBe("unreachable");
    expect(await clientFor(url).ready("req-1")).toBe(false);
  });

  test("a 503 keeps its Retry-After for our own answer", async () => {
    server = Bun.serve({ port: 0, fetch: () => new Response(null, { status: 503, headers: { "retry-after": "2" } }) });
    const error = await clientFor(server.url.href)
      .hashPassword("password123", "req-1")
      .catch((e) => e);
    expect(error).toMatchObject({ status: 503, reason: "status 503", extra: { retryAfterSeconds: 2 } });
  });

  test("sends the internal credential and request id, and reuses one connection", async () => {
    const seen: { authorization: string | null; requestId: string | null; port: number }[] = [];
    server = Bun.serve({
      port: 0,
      fetch: (request, self) => {
        seen.push({
          authorization: request.headers.get("authorization"),
          requestId: request.headers.get("x-request-id"),
          port: self.requestIP(request)!.port,
        });
        return Response.json({ hashed: "$argon2id$stand-in" });
      },
    });
    const client = clientFor(server.url.href);
    for (const id of ["req-1", "req-2", "req-3"])
      expect(await client.hashPassword("password123", id)).toBe("$argon2id$stand-in");
    expect(seen.map(({ requestId }) => requestId)).toEqual(["req-1", "req-2", "req-3"]);
    expect(new Set(seen.map(({ authorization }) => authorization))).toEqual(
      new Set(["Bearer internal-token-for-tests-0123456789"]),
    );
    expect(new Set(seen.map(({ port }) => port)).size).toBe(1);
  });

  test("an answer of the wrong shape is not trusted", async () => {
    server = Bun.serve({ port: 0, fetch: () => Response.json({ hash: 1 }) });
    const error = await clientFor(server.url.href)
      .hashPassword("password123", "req-1")
      .catch((e) => e);
    expect(error).toMatchObject({ reason: "unexpected answer" });
  });
});

/** An Ed25519 key pair as auth-api has one: a private key that signs, a public JWK with its kid for the JWKS. */
async function signingKey(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: "EdDSA", use: "sig" };
  /** A token as auth-api issues it, issued at `nowMs`, for 15 minutes. */
  const sign = (nowMs: number) =>
    new SignJWT({ sid: "session-1" })
      .setProtectedHeader({ alg: "EdDSA", kid })
      .setSubject("user-1")
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setIssuedAt(Math.floor(nowMs / 1000))
      .setExpirationTime(Math.floor(nowMs / 1000) + 900)
      .setJti(crypto.randomUUID())
      .sign(privateKey);
  return { jwk, sign };
}

/** A logger, and a promise of the next line it writes with message `msg`: an event to wait for, not a sleep. */
function watchedLogger() {
  let waiting: { msg: string; resolve: () => void } | undefined;
  const logger = createLogger(
    { level: "debug", service: "users-api" },
    {
      write: (line: string) => {
        if (waiting && (JSON.parse(line) as { msg?: string }).msg === waiting.msg) waiting.resolve();
      },
    },
  );
  const next = (msg: string) => new Promise<void>((resolve) => (waiting = { msg, resolve }));
  return { logger, next };
}

/** A stand-in auth-api that serves `keys` as its JWKS, or 503 while `failing`, and counts the fetches. */
function jwksServer(keys: JWK[]) {
  const state = { keys, failing: false, fetches: 0 };
  let fetched: (() => void) | undefined;
  server = Bun.serve({
    port: 0,
    fetch: (request) => {
      if (new URL(request.url).pathname !== "/.well-known/jwks.json") return new Response(null, { status: 404 });
      state.fetches++;
      fetched?.();
      return state.failing ? new Response(null, { status: 503 }) : Response.json({ keys: state.keys });
    },
  });
  /** Resolves at the next fetch: what a reload in the background makes, ordered by the event, not a sleep. */
  const nextFetch = () => new Promise<void>((resolve) => (fetched = resolve));
  return { url: server.url.href, state, nextFetch };
}

describe("the JWKS cache", () => {
  const start = Date.parse("2030-01-01T00:00:00Z");
  const caller = { userId: "user-1", sessionId: "session-1" };

  test("past its age, a reload that fails keeps the last keys in use: tokens still verify, no 503", async () => {
    const key = await signingKey("k1");
    const { url, state, nextFetch } = jwksServer([key.jwk]);
    const { logger, next } = watchedLogger();
    let now = start;
    const client = clientFor(url, 200, () => now, logger);
    const token = await key.sign(now);
    expect(await client.verifyAccessToken(token, "req-1")).toEqual(caller);
    expect(state.fetches).toBe(1);

    state.failing = true;
    now += 600_000;
    const reloadFailed = next("auth-api keys not fetched");
    expect(await client.verifyAccessToken(token, "req-2")).toEqual(caller);
    await reloadFailed;
    expect(await client.verifyAccessToken(token, "req-3")).toEqual(caller);
    expect(state.fetches).toBe(2);
    // Retried, at most once a second, until it loads; then the keys are fresh again and nothing is fetched.
    now += 60_000;
    state.failing = false;
    const retry = nextFetch();
    expect(await client.verifyAccessToken(token, "req-4")).toEqual(caller);
    await retry;
    now += 60_000;
    expect(await client.verifyAccessToken(token, "req-5")).toEqual(caller);
    expect(state.fetches).toBe(3);
  });

  test("a token's expiry is judged by the injected clock", async () => {
    const key = await signingKey("k1");
    const { url } = jwksServer([key.jwk]);
    let now = start;
    const client = clientFor(url, 200, () => now);
    const token = await key.sign(now);
    now += 899_000;
    expect(await client.verifyAccessToken(token, "req-1")).toEqual(caller);
    now += 1_000;
    expect(await client.verifyAccessToken(token, "req-2")).toBeUndefined();
  });

  test("an unknown kid fetches again at once, at most once a second; a refetch that fails keeps the old keys", async () => {
    const [old, rotated, madeUp] = await Promise.all([signingKey("k1"), signingKey("k2"), signingKey("k3")]);
    const { url, state } = jwksServer([old.jwk]);
    let now = start;
    const client = clientFor(url, 200, () => now);
    const oldToken = await old.sign(now);
    expect(await client.verifyAccessToken(oldToken, "req-1")).toEqual(caller);

    // auth-api rotated: a token with the new kid is verified at once, after one fetch.
    state.keys = [rotated.jwk, old.jwk];
    now += 1_000;
    expect(await client.verifyAccessToken(await rotated.sign(now), "req-2")).toEqual(caller);
    expect(state.fetches).toBe(2);
    // A made-up kid within a second of that fetch fetches nothing: the keys are a second old, so it is refused.
    const madeUpToken = await madeUp.sign(now);
    expect(await client.verifyAccessToken(madeUpToken, "req-3")).toBeUndefined();
    expect(state.fetches).toBe(2);
    now += 1_000;
    expect(await client.verifyAccessToken(madeUpToken, "req-4")).toBeUndefined();
    expect(state.fetches).toBe(3);

    // auth-api down: an unknown kid cannot be checked (503), and the keys fetched before stay in use.
    state.failing = true;
    now += 1_000;
    const error = await client.verifyAccessToken(madeUpToken, "req-5").catch((e) => e);
    expect(error).toMatchObject({ status: 503, reason: "keys status 503" });
    expect(state.fetches).toBe(4);
    // …and within the second after that failed fetch, without fetching again.
    expect(await client.verifyAccessToken(madeUpToken, "req-6").catch((e) => e)).toMatchObject({ status: 503 });
    expect(state.fetches).toBe(4);
    expect(await client.verifyAccessToken(oldToken, "req-7")).toEqual(caller);
    expect(await client.verifyAccessToken(await rotated.sign(now), "req-8")).toEqual(caller);
    expect(state.fetches).toBe(4);
  });

  test("keys never fetched cannot check a token: 503, and a key set of the wrong shape is not trusted", async () => {
    const key = await signingKey("k1");
    const { url, state } = jwksServer([key.jwk]);
    state.failing = true;
    let now = start;
    const client = clientFor(url, 200, () => now);
    const token = await key.sign(now);
    expect(await client.verifyAccessToken(token, "req-1").catch((e) => e)).toMatchObject({ status: 503 });
    state.failing = false;
    state.keys = "not a key set" as never;
    now += 1_000;
    expect(await client.verifyAccessToken(token, "req-2").catch((e) => e)).toMatchObject({ status: 503 });
    state.keys = [key.jwk];
    now += 1_000;
    expect(await client.verifyAccessToken(token, "req-3")).toEqual(caller);
    expect(state.fetches).toBe(3);
  });
});
