import { describe, expect, test } from "bun:test";
import { MIN_HASH_COST } from "@accounts/shared/limits";
import { expectMediansWithin, requestLines } from "@accounts/shared/testing";
import { buildApp, post } from "./helpers.ts";

describe("POST /hashed-pw", () => {
  test("returns an argon2id hash at the configured cost that verifies the password", async () => {
    const { app } = await buildApp();
    const response = await app.handle(post("/hashed-pw", { password: "correct horse battery" }));
    expect(response.status).toBe(200);
    const { hashed } = (await response.json()) as { hashed: string };
    expect(hashed).toStartWith("$argon2id$v=19$m=1024,t=1,");
    expect(await Bun.password.verify("correct horse battery", hashed)).toBeTrue();
    expect(await Bun.password.verify("wrong horse battery", hashed)).toBeFalse();
  });

  test("refuses calls without the internal credential, before looking at the body", async () => {
    const { app } = await buildApp();
    for (const [token, body] of [
      [null, { password: "correct horse battery" }],
      ["not-the-token", { password: "correct horse battery" }],
      ["test-internal-token-0123456789abcdeX", { password: "correct horse battery" }],
      [null, { password: "short" }],
    ] as const) {
      const response = await app.handle(post("/hashed-pw", body, token));
      expect(response.status).toBe(401);
      expect(response.headers.get("content-type")).toStartWith("application/problem+json");
    }
    const basic = await app.handle(
      post("/hashed-pw", { password: "correct horse battery" }, null, { authorization: "Basic dGVzdA==" }),
    );
    expect(basic.status).toBe(401);
  });

  test("rejects passwords outside 8 to 1024 characters with 422, without echoing them", async () => {
    const { app } = await buildApp();
    for (const password of ["seven77", "x".repeat(1025)]) {
      const response = await app.handle(post("/hashed-pw", { password }));
      expect(response.status).toBe(422);
      const text = await response.text();
      expect(text).toContain('"field":"password"');
      expect(text).not.toContain(password);
    }
  });

  test("does not offer the seed’s GET /hashed-pw/:password", async () => {
    const { app } = await buildApp();
    const response = await app.handle(
      new Request("http://localhost/hashed-pw/hunter22", { headers: { authorization: "Bearer x" } }),
    );
    expect(response.status).toBe(404);
  });

  test("never logs the password or the hash", async () => {
    const { app, lines } = await buildApp();
    const response = await app.handle(
      post("/hashed-pw", { password: "correct horse battery" }, undefined, { "x-request-id": "from-users-api" }),
    );
    const { hashed } = (await response.json()) as { hashed: string };
    await requestLines(lines, 1);
    expect(lines.find((line) => line.msg === "request")).toMatchObject({
      requestId: "from-users-api",
      route: "/hashed-pw",
      status: 200,
    });
    const logged = JSON.stringify(lines);
    expect(logged).not.toContain("correct horse battery");
    expect(logged).not.toContain(hashed);
  });
});

describe("POST /token timing", () => {
  const SAMPLES = 15;

  test("a wrong password against an argon2id hash from before a cost raise takes as long as an unknown address", async () => {
    // Raised from the minimum cost to twice its passes: hashes made before the raise verify in about half the time.
    const { app } = await buildApp({
      HASH_MEMORY_KIB: MIN_HASH_COST.memoryKiB,
      HASH_TIME_COST: 2 * MIN_HASH_COST.timeCost,
    });
    const hashOf = async (timeCost: number) =>
      Bun.password.hash("correct horse battery", {
        algorithm: "argon2id",
        memoryCost: MIN_HASH_COST.memoryKiB,
        timeCost,
      });
    const kinds = {
      unknown: undefined,
      configured: await hashOf(2 * MIN_HASH_COST.timeCost),
      beforeRaise: await hashOf(MIN_HASH_COST.timeCost),
    };
    const wrongPasswordMs = async (hashedPassword: string | undefined) => {
      const started = performance.now();
      const response = await app.handle(
        post("/token", { userId: "user-1", sessionId: "session-1", password: "wrong horse battery", hashedPassword }),
      );
      expect(response.status).toBe(401);
      return performance.now() - started;
    };
    const samples: Record<string, number[]> = { unknown: [], configured: [], beforeRaise: [] };
    for (let round = 0; round < SAMPLES; round++)
      for (const [kind, hash] of Object.entries(kinds)) samples[kind]?.push(await wrongPasswordMs(hash));
    expectMediansWithin(samples, 1.3);
  }, 20_000);
});
