import { afterEach, describe, expect, test } from "bun:test";
import { HttpProblem } from "@accounts/shared";
import { waitFor } from "@accounts/shared/testing";
import { createHashLimiter } from "../src/hashing/limiter.ts";
import { buildApp, INTERNAL_TOKEN, post } from "./helpers.ts";

/** A task that runs until `release` is called; `started` resolves once the limiter has started it. */
function gate() {
  let release!: () => void;
  let start!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  const started = new Promise<void>((resolve) => (start = resolve));
  return {
    release,
    started,
    task: () => {
      start();
      return done;
    },
  };
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
    // The second's slot is handed to the third, the first still runs, the fourth still waits.
    await gates[2]!.started;
    expect([limiter.inFlight, limiter.queued]).toEqual([2, 1]);
    expect(started).toEqual([0, 1, 2]);
    for (const g of gates) g.release();
    await Promise.all(runs);
    expect(started).toEqual([0, 1, 2, 3]);
    expect([limiter.inFlight, limiter.queued]).toEqual([0, 0]);
  });

  test("a queued task whose signal aborts never runs, leaves the queue at once and rejects; those behind it run in order", async () => {
    const limiter = createHashLimiter(1, 3);
    const started: string[] = [];
    const running = gate();
    const first = limiter.run(async () => {
      started.push("first");
      await running.task();
    });
    const leaving = new AbortController();
    const abandoned = limiter
      .run(async () => started.push("abandoned"), leaving.signal)
      .catch((error: unknown) => error);
    const behind = ["second", "third"].map((name) => limiter.run(async () => started.push(name)));
    expect([limiter.inFlight, limiter.queued, limiter.abandoned]).toEqual([1, 3, 0]);

    const reason = new DOMException("The connection was closed.", "AbortError");
    leaving.abort(reason);
    expect([limiter.inFlight, limiter.queued, limiter.abandoned]).toEqual([1, 2, 1]);
    expect(await abandoned).toBe(reason);

    running.release();
    await Promise.all([first, ...behind]);
    expect(started).toEqual(["first", "second", "third"]);
    expect([limiter.inFlight, limiter.queued, limiter.abandoned]).toEqual([0, 0, 1]);
  });

  test("a signal aborted before `run` never runs its task, even with a slot free", async () => {
    const limiter = createHashLimiter(1, 1);
    let ran = false;
    const reason = new Error("gone");
    const rejected = await limiter
      .run(async () => (ran = true), AbortSignal.abort(reason))
      .catch((error: unknown) => error);
    expect(rejected).toBe(reason);
    expect(ran).toBeFalse();
    expect([limiter.inFlight, limiter.queued, limiter.abandoned]).toEqual([0, 0, 1]);
    expect(await limiter.run(async () => "ok")).toBe("ok");
  });

  test("an abort after the task started, queued or not, does not affect it", async () => {
    const limiter = createHashLimiter(1, 1);
    const [immediate, queued] = [new AbortController(), new AbortController()];
    const gates = [gate(), gate()];
    const runs = gates.map((g, i) =>
      limiter.run(async () => {
        await g.task();
        return i;
      }, [immediate, queued][i]!.signal),
    );
    immediate.abort();
    gates[0]!.release();
    await gates[1]!.started;
    // The second was handed the slot; its abort now must neither drop it nor take another entry out of the queue.
    const third = limiter.run(async () => 2);
    queued.abort();
    expect([limiter.inFlight, limiter.queued, limiter.abandoned]).toEqual([1, 1, 0]);
    gates[1]!.release();
    expect(await Promise.all([...runs, third])).toEqual([0, 1, 2]);
    expect([limiter.inFlight, limiter.queued, limiter.abandoned]).toEqual([0, 0, 0]);
  });

  test("with aborts among them, the hand-over keeps at most `concurrency` tasks running", async () => {
    const limiter = createHashLimiter(2, 20);
    let running = 0;
    let most = 0;
    const ran: number[] = [];
    const controllers = Array.from({ length: 20 }, () => new AbortController());
    const gates = controllers.map(() => gate());
    const runs = controllers.map((controller, i) =>
      limiter
        .run(async () => {
          most = Math.max(most, ++running);
          ran.push(i);
          await gates[i]!.task();
          running--;
        }, controller.signal)
        .catch(() => "abandoned"),
    );
    // 0 and 1 run; of those waiting, every third leaves the queue.
    for (const [i, controller] of controllers.entries()) if (i % 3 === 2) controller.abort();
    // Both slots are handed over past the ones that left: 3 and 4 run.
    gates[0]!.release();
    gates[1]!.release();
    await Promise.all([gates[3]!.started, gates[4]!.started]);
    // Aborts for a finished task (1), a running one (4) and waiting ones (7, 10, …): only the waiting leave.
    for (const [i, controller] of controllers.entries()) if (i % 3 === 1) controller.abort();
    for (const g of gates) g.release();
    const outcomes = await Promise.all(runs);
    expect(ran).toEqual([0, 1, 3, 4, 6, 9, 12, 15, 18]);
    expect(most).toBe(2);
    expect(limiter.inFlight).toBe(0);
    expect(limiter.queued).toBe(0);
    expect(limiter.abandoned).toBe(outcomes.filter((outcome) => outcome === "abandoned").length);
    expect(outcomes.slice(0, 2)).toEqual([undefined, undefined]);
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

describe("callers that have gone, on a real socket", () => {
  let stop = () => {};
  afterEach(() => stop());

  test("a queued /token or /hashed-pw whose caller aborts or times out is never hashed; the next queued one is", async () => {
    const { app, hasher, lines } = await buildApp({ HASH_CONCURRENCY: 1, HASH_QUEUE_LIMIT: 3 });
    app.listen(0);
    stop = () => app.stop(true);
    const call = (path: string, body: unknown, signal?: AbortSignal) =>
      fetch(new URL(path, app.server!.url), {
        method: "POST",
        headers: { authorization: `Bearer ${INTERNAL_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify(body),
        signal,
      });
    const password = "correct horse battery";
    const hashedPassword = await Bun.password.hash(password, { algorithm: "argon2id", memoryCost: 1024, timeCost: 1 });

    const slow = gate();
    const holding = hasher.limiter.run(slow.task);
    const leaving = new AbortController();
    const aborted = call("/token", { userId: "u", sessionId: "s", password, hashedPassword }, leaving.signal).catch(
      (error: Error) => error.name,
    );
    // The server notices a request arriving, or its connection closing, on its own schedule: wait for the count.
    await waitFor(() => hasher.limiter.queued === 1, "1 queued");
    // users-api gives up on auth-api this way, with AUTH_API_TIMEOUT_MS.
    const timedOut = call("/hashed-pw", { password }, AbortSignal.timeout(100)).catch((error: Error) => error.name);
    await waitFor(() => hasher.limiter.queued === 2, "2 queued");
    const next = call("/hashed-pw", { password });
    await waitFor(() => hasher.limiter.queued === 3, "3 queued");

    leaving.abort();
    expect(await aborted).toBe("AbortError");
    await waitFor(() => hasher.limiter.queued === 2, "2 queued");
    expect(await timedOut).toBe("TimeoutError");
    await waitFor(() => hasher.limiter.queued === 1, "1 queued");
    expect(hasher.limiter.inFlight).toBe(1);

    slow.release();
    await holding;
    const response = await next;
    expect(response.status).toBe(200);
    expect(((await response.json()) as { hashed: string }).hashed).toStartWith("$argon2id$");

    const metrics = await (await fetch(new URL("/metrics", app.server!.url))).text();
    expect(metrics).toContain("password_hashes_abandoned_total 2");
    expect(metrics).toContain("password_hashes_in_flight 0");
    expect(metrics).toContain("password_hashes_queued 0");
    // One answer each: the abandoned two ended as 499 without reaching the hasher, the next one was hashed.
    const answered = metrics.split("\n").filter((line) => line.startsWith("http_requests_total{"));
    expect(answered.filter((line) => !line.includes('route="/metrics"')).sort()).toEqual([
      'http_requests_total{method="POST",route="/hashed-pw",status="200"} 1',
      'http_requests_total{method="POST",route="/hashed-pw",status="499"} 1',
      'http_requests_total{method="POST",route="/token",status="499"} 1',
    ]);
    expect(lines.filter((line) => line.status === 499)).toEqual([
      expect.objectContaining({ level: "info", msg: "request", route: "/token" }),
      expect.objectContaining({ level: "info", msg: "request", route: "/hashed-pw" }),
    ]);
    expect(lines.filter((line) => line.level === "error")).toEqual([]);
  });
});
