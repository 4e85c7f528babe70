// The client against stand-in HTTP servers for the failure modes a real auth-api cannot be made to
// show on demand (hanging, answering 5xx); the contract itself is tested against the real
// auth-api in users.test.ts and the integration suite.
import { afterEach, describe, expect, test } from "bun:test";
import { AuthUnavailableError, createAuthClient } from "../src/auth-client/client.ts";
import { captureLogger } from "@accounts/shared/testing";

let server: ReturnType<typeof Bun.serve> | undefined;
afterEach(() => server?.stop(true));

const clientFor = (url: string, timeoutMs = 200) =>
  createAuthClient({
    url,
    internalToken: "internal-token-for-tests-0123456789",
    timeoutMs,
    logger: captureLogger("users-api").logger,
  });

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
