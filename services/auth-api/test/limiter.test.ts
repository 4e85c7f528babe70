import { describe, expect, test } from "bun:test";
import { HttpProblem } from "@accounts/shared";
import { createHashLimiter } from "../src/hashing/limiter.ts";
import { buildApp, post } from "./helpers.ts";

/** A task that runs until `release` is called. */
function gate() {
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  return { release, task: () => done };
}

describe("createHashLimiter", () => {
  test("runs at most `concurrency` tasks, queues FIFO up to the limit, rejects beyond it", async () => {
    const limiter = createHashLimiter(2, 2);
    const started: number[] = [];
    const gates = [gate(), gate(), gate(), gate()];
    const runs = gates.map((g, i) =>
      limiter.run(async () => {
        started.push(i);
        await g.task();
      }),
    );
    expect([limiter.inFlight, limiter.queued]).toEqual([2, 2]);

    const rejected = await limiter.run(async () => "never").catch((error: unknown) => error);
    expect(rejected).toBeInstanceOf(HttpProblem);
    expect(rejected).toMatchObject({ status: 503, extra: { retryAfterSeconds: 1 } });

    gates[1]!.release();
    await Bun.sleep(1);
    expect([limiter.inFlight, limiter.queued]).toEqual([2, 1]);
    expect(started).toEqual([0, 1, 2]);
    for (const g of gates) g.release();
    await Promise.all(runs);
    expect(started).toEqual([0, 1, 2, 3]);
    expect([limiter.inFlight, limiter.queued]).toEqual([0, 0]);
  });

  test("a failing task frees its slot", async () => {
    const limiter = createHashLimiter(1, 0);
    await expect(limiter.run(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await limiter.run(async () => "ok")).toBe("ok");
  });
});

test("unset, HASH_QUEUE_LIMIT is 8 per slot: waiting hashes hold no argon2 memory", async () => {
  const { hasher } = await buildApp({ HASH_CONCURRENCY: 3, HASH_QUEUE_LIMIT: undefined });
  expect([hasher.limiter.concurrency, hasher.limiter.queueLimit]).toEqual([3, 24]);
});

describe("hash queue through the app", () => {
  test("a full queue answers 503 problem+json with Retry-After; gauges show in-flight and queued", async () => {
    const { app, hasher } = await buildApp({ HASH_CONCURRENCY: 1, HASH_QUEUE_LIMIT: 1 });
    const running = gate();
    const holding = [hasher.limiter.run(running.task), hasher.limiter.run(async () => {})];

    const metrics = await (await app.handle(new Request("http://localhost/metrics"))).text();
    expect(metrics).toContain("password_hashes_in_flight 1");
    expect(metrics).toContain("password_hashes_queued 1");

    for (const request of [
      post("/hashed-pw", { password: "correct horse battery" }),
      post("/token", { userId: "u", sessionId: "s", password: "correct horse battery" }),
    ]) {
      const response = await app.handle(request);
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("1");
      expect(response.headers.get("content-type")).toStartWith("application/problem+json");
    }

    running.release();
    await Promise.all(holding);
    expect((await app.handle(post("/hashed-pw", { password: "correct horse battery" }))).status).toBe(200);
  });

  test("a flood beyond the queue gets exactly the bound (running + queued) of 200s and 503s for the rest", async () => {
    const { app } = await buildApp({ HASH_CONCURRENCY: 1, HASH_QUEUE_LIMIT: 2, HASH_MEMORY_KIB: 8192 });
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => app.handle(post("/hashed-pw", { password: "correct horse battery" }))),
    );
    // All eight are in before the first hash ends: one runs, two queue, five are refused.
    expect(responses.map((response) => response.status).sort()).toEqual([200, 200, 200, 503, 503, 503, 503, 503]);
  });
});
