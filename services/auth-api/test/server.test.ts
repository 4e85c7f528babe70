import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startService, type RunningService } from "@accounts/scripts/lib/processes";
import { waitFor } from "@accounts/shared/testing";
import { generateSigningKey } from "../src/keys/generate.ts";

// The real entry point in a child process, at the default (production) hash cost.
const ENTRY = `${import.meta.dir}/../src/index.ts`;
const INTERNAL_TOKEN = "server-test-internal-token-0123456789";
const auth = { authorization: `Bearer ${INTERNAL_TOKEN}`, "content-type": "application/json" };

const start = async () =>
  startService("auth-api", {
    env: {
      INTERNAL_TOKEN,
      JWT_SIGNING_KEY: JSON.stringify((await generateSigningKey()).privateJwk),
      HASH_CONCURRENCY: "1",
      HASH_QUEUE_LIMIT: "8",
      BODY_LIMIT_BYTES: "2048",
    },
  });

/** Password hashes the process holds now, running or queued, from its gauges. */
async function hashesHeld(server: RunningService) {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const gauge = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? 0);
  return gauge("password_hashes_in_flight") + gauge("password_hashes_queued");
}

describe("auth-api process", () => {
  let server: RunningService;
  beforeAll(async () => {
    server = await start();
  });
  afterAll(() => server?.stop());

  test("hashes at the default cost (argon2id m=19456, t=2) and issues a token for it", async () => {
    const hashedResponse = await fetch(`${server.url}/hashed-pw`, {
      method: "POST",
      headers: { ...auth, "x-request-id": "from-users-api-1" },
      body: JSON.stringify({ password: "correct horse battery" }),
    });
    expect(hashedResponse.status).toBe(200);
    expect(hashedResponse.headers.get("x-request-id")).toBe("from-users-api-1");
    const { hashed } = (await hashedResponse.json()) as { hashed: string };
    expect(hashed).toStartWith("$argon2id$v=19$m=19456,t=2,p=1$");

    const token = await fetch(`${server.url}/token`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({
        userId: "u1",
        sessionId: "s1",
        password: "correct horse battery",
        hashedPassword: hashed,
      }),
    });
    expect(token.status).toBe(200);
    expect(await token.json()).not.toHaveProperty("rehashed");

    const line = await waitFor(
      () => server.logs().find((line) => line.requestId === "from-users-api-1"),
      "the request's log line",
    );
    expect(line).toMatchObject({
      route: "/hashed-pw",
      status: 200,
    });
    expect(server.output.join("\n")).not.toContain("correct horse battery");
    expect(server.output.join("\n")).not.toContain(hashed);
  });

  test("a body over BODY_LIMIT_BYTES gets 413 problem+json on a real socket, declared or chunked", async () => {
    const big = JSON.stringify({ password: "x".repeat(100_000) });
    const declared = await fetch(`${server.url}/hashed-pw`, { method: "POST", headers: auth, body: big });
    expect(declared.status).toBe(413);
    expect(declared.headers.get("content-type")).toStartWith("application/problem+json");

    const chunked = await fetch(`${server.url}/hashed-pw`, {
      method: "POST",
      headers: auth,
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 10; i++)
            controller.enqueue(new TextEncoder().encode(big.slice(i * 1000, (i + 1) * 1000)));
          controller.close();
        },
      }),
    });
    expect(chunked.status).toBe(413);
    expect(((await chunked.json()) as { status: number }).status).toBe(413);

    const afterwards = await fetch(`${server.url}/health`);
    expect(afterwards.status).toBe(200);
  });

  test("SIGTERM lets in-flight hashes finish, then exits 0 and refuses new connections", async () => {
    // A process of its own, so the other tests never meet a stopped one.
    const server = await start();
    let answered = 0;
    const requests = Array.from({ length: 3 }, () =>
      fetch(`${server.url}/hashed-pw`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ password: "correct horse battery" }),
      }).then((response) => {
        answered++;
        return response;
      }),
    );
    // SIGTERM once all three are in: hashing, queued or answered.
    await waitFor(async () => answered + (await hashesHeld(server)) >= 3, "three hashes in the process");
    const exitCode = server.stop();
    const statuses = await Promise.all(requests.map(async (request) => (await request).status));
    expect(statuses).toEqual([200, 200, 200]);
    expect(await exitCode).toBe(0);
    expect(server.logs().map((line) => line.msg)).toContain("stopped");
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
  });
});

describe("auth-api with a bad environment", () => {
  test("exits 1 naming the variable, without echoing its value", async () => {
    const secret = "short-secret-value";
    const child = Bun.spawn(["bun", ENTRY], {
      env: { PATH: process.env.PATH!, INTERNAL_TOKEN: secret, JWT_SIGNING_KEY: "{}", HASH_MEMORY_KIB: "1024" },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(await child.exited).toBe(1);
    const stderr = await new Response(child.stderr).text();
    expect(stderr).toContain("INTERNAL_TOKEN: Expected string length greater or equal to 32");
    expect(stderr).toContain("HASH_MEMORY_KIB: Expected integer to be greater or equal to 19456");
    expect(stderr).not.toContain(secret);
  });
});
