import { describe, expect, test } from "bun:test";
import { t } from "elysia";
import { conflict, createMetrics, createServiceApp, PROBLEM_CONTENT_TYPE, serviceUnavailable } from "../src/index.ts";
import { captureLogger, requestLines } from "./helpers.ts";

const config = { PORT: 0, LOG_LEVEL: "info" as const, BODY_LIMIT_BYTES: 2048 };

const afterAbort = (signal: AbortSignal, error: () => unknown) =>
  new Promise<never>((_, reject) => signal.addEventListener("abort", () => reject(error())));

/** A monotonic clock that moves 5 ms each time it is read: each request's start and end read it once, 5 ms apart. */
const stepping = () => {
  let at = 0;
  return () => (at += 5);
};

function build(readiness = {}) {
  const { logger, lines } = captureLogger();
  const metrics = createMetrics();
  const app = createServiceApp({
    service: "test",
    config,
    logger,
    metrics,
    readiness,
    documentation: { info: { title: "test", version: "1" } },
    links: [],
    monotonic: stepping(),
  })
    .post("/echo/:id", ({ body, params }) => ({ id: params.id, name: body.name }), {
      parse: "json",
      body: t.Object({ name: t.String({ minLength: 2 }), password: t.String({ minLength: 8 }) }),
    })
    .get("/conflict", () => {
      throw conflict("Email already registered");
    })
    .get("/busy", () => {
      throw serviceUnavailable("Too many hashes queued", 2);
    })
    .get("/boom", () => {
      throw new Error("database password is hunter2");
    })
    .get("/request-id", ({ requestId }) => ({ requestId }))
    // Each fails once its client has gone: with the request's own abort reason, or with an error of its own.
    .get("/client-gone", ({ request }) => afterAbort(request.signal, () => request.signal.reason))
    .get("/fails-as-client-goes", ({ request }) => afterAbort(request.signal, () => new Error("database is down")));
  return { app, lines, metrics };
}

const json = (path: string, body: string, headers: Record<string, string> = { "content-type": "application/json" }) =>
  new Request(`http://localhost${path}`, { method: "POST", headers, body });

async function problemOf(response: Response) {
  expect(response.headers.get("content-type")).toStartWith(PROBLEM_CONTENT_TYPE);
  return (await response.json()) as {
    type: string;
    title: string;
    status: number;
    detail?: string;
    errors?: { field: string; pointer: string; message: string }[];
  };
}

describe("problem+json", () => {
  test("valid input reaches the handler", async () => {
    const { app } = build();
    const response = await app.handle(json("/echo/7", JSON.stringify({ name: "ada", password: "correct horse" })));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: "7", name: "ada" });
  });

  test("invalid fields give 422 naming each field without echoing values", async () => {
    const { app } = build();
    const response = await app.handle(json("/echo/7", JSON.stringify({ name: "a", password: "hunter2" })));
    expect(response.status).toBe(422);
    const problem = await problemOf(response);
    expect(problem).toMatchObject({ type: "about:blank", title: "Unprocessable Content", status: 422 });
    expect(problem.errors?.map((e) => e.field).sort()).toEqual(["name", "password"]);
    expect(problem.errors?.find((e) => e.field === "password")?.pointer).toBe("#/password");
    expect(JSON.stringify(problem)).not.toContain("hunter2");
  });

  test("a wrong-typed value is not echoed either", async () => {
    const { app } = build();
    const response = await app.handle(json("/echo/7", JSON.stringify({ name: "ada", password: 1234567890123 })));
    expect(response.status).toBe(422);
    expect(await response.text()).not.toContain("1234567890123");
  });

  test("malformed JSON gives 400", async () => {
    const { app } = build();
    const response = await app.handle(json("/echo/7", '{"name": "ada",'));
    expect(response.status).toBe(400);
    expect((await problemOf(response)).detail).toBe("Request body is not valid JSON");
  });

  test("a body that is not JSON gives 415", async () => {
    const { app } = build();
    for (const headers of [
      { "content-type": "text/plain" },
      { "content-type": "application/x-www-form-urlencoded" },
      {},
    ] as Record<string, string>[]) {
      const response = await app.handle(json("/echo/7", "name=ada&password=hunter22", headers));
      expect(response.status).toBe(415);
      await problemOf(response);
    }
  });

  test("a missing body gives 422", async () => {
    const { app } = build();
    const response = await app.handle(new Request("http://localhost/echo/7", { method: "POST" }));
    expect(response.status).toBe(422);
    expect((await problemOf(response)).errors?.[0]?.field).toBe("body");
  });

  test("a body over the limit gives 413, declared or streamed", async () => {
    const { app } = build();
    const big = JSON.stringify({ name: "x".repeat(4096), password: "correct horse" });
    const declared = await app.handle(json("/echo/7", big));
    expect(declared.status).toBe(413);
    expect((await problemOf(declared)).detail).toContain("2048 bytes");

    const chunks = [big.slice(0, 1500), big.slice(1500)];
    const streamed = new Request("http://localhost/echo/7", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: new ReadableStream({
        start(controller) {
          for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
          controller.close();
        },
      }),
    });
    expect(streamed.headers.get("content-length")).toBeNull();
    const response = await app.handle(streamed);
    expect(response.status).toBe(413);
  });

  test("unknown routes give 404", async () => {
    const { app } = build();
    const response = await app.handle(new Request("http://localhost/nope"));
    expect(response.status).toBe(404);
    expect((await problemOf(response)).title).toBe("Not Found");
  });

  test("thrown problems keep their status and Retry-After", async () => {
    const { app } = build();
    const conflicted = await app.handle(new Request("http://localhost/conflict"));
    expect(conflicted.status).toBe(409);
    expect((await problemOf(conflicted)).detail).toBe("Email already registered");

    const busy = await app.handle(new Request("http://localhost/busy"));
    expect(busy.status).toBe(503);
    expect(busy.headers.get("retry-after")).toBe("2");
    await problemOf(busy);
  });

  test("unexpected errors give a generic 500 and are logged with the request id", async () => {
    const { app, lines } = build();
    const response = await app.handle(new Request("http://localhost/boom", { headers: { "x-request-id": "req-500" } }));
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("at ");
    expect(lines.find((line) => line.msg === "unhandled error")).toMatchObject({
      requestId: "req-500",
      level: "error",
    });
  });
});

describe("a request its client abandoned", () => {
  const abandon = async (app: ReturnType<typeof build>["app"], path: string) => {
    const client = new AbortController();
    const response = app.handle(new Request(`http://localhost${path}`, { signal: client.signal }));
    client.abort(new DOMException("The connection was closed.", "AbortError"));
    return response;
  };

  test("failing with its own abort reason ends as 499, logged as a request line, not as an error", async () => {
    const { app, lines } = build();
    const response = await abandon(app, "/client-gone");
    expect(response.status).toBe(499);
    expect(await problemOf(response)).toMatchObject({ status: 499 });
    await requestLines(lines, 1);
    expect(lines).toEqual([
      expect.objectContaining({ msg: "request", level: "info", route: "/client-gone", status: 499 }),
    ]);
  });

  test("failing with another error is still a logged 500", async () => {
    const { app, lines } = build();
    expect((await abandon(app, "/fails-as-client-goes")).status).toBe(500);
    expect(lines.find((line) => line.msg === "unhandled error")).toMatchObject({ level: "error" });
  });
});

describe("request ids and request log lines", () => {
  test("the caller's id is kept, echoed and given to handlers", async () => {
    const { app } = build();
    const response = await app.handle(
      new Request("http://localhost/request-id", { headers: { "x-request-id": "abc-123" } }),
    );
    expect(response.headers.get("x-request-id")).toBe("abc-123");
    expect(await response.json()).toEqual({ requestId: "abc-123" });
  });

  test("an invalid id is replaced by a fresh one", async () => {
    const { app } = build();
    for (const given of ['bad id {"level":"fake"}', "x".repeat(200)]) {
      const response = await app.handle(
        new Request("http://localhost/request-id", { headers: { "x-request-id": given } }),
      );
      const id = response.headers.get("x-request-id");
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(await response.json()).toEqual({ requestId: id });
    }
  });

  test("one line per request with the route pattern, status and duration, and no body", async () => {
    const { app, lines } = build();
    await app.handle(json("/echo/42", JSON.stringify({ name: "ada", password: "correct horse" })));
    // One after the other, so each request's two readings of the clock are its own.
    await requestLines(lines, 1);
    await app.handle(new Request("http://localhost/nope/secret-in-path"));
    const requests = await requestLines(lines, 2);
    expect(requests).toHaveLength(2);
    expect(requests[0]).toMatchObject({ method: "POST", route: "/echo/:id", status: 200, service: "test" });
    // Read from the injected monotonic clock.
    expect(requests.map(({ durationMs }) => durationMs)).toEqual([5, 5]);
    expect(requests[0]!.requestId).toBeString();
    expect(requests[1]).toMatchObject({ method: "GET", route: "unmatched", status: 404 });
    const all = JSON.stringify(lines);
    expect(all).not.toContain("correct horse");
    expect(all).not.toContain("secret-in-path");
  });

  test("secret fields are censored even if a handler logs them", () => {
    const { logger, lines } = captureLogger();
    logger.info(
      { password: "p1", user: { hashedPassword: "h1" }, req: { headers: { authorization: "Bearer t1" } }, token: "t2" },
      "oops",
    );
    const text = JSON.stringify(lines);
    for (const secret of ["p1", "h1", "Bearer t1", "t2"]) expect(text).not.toContain(`"${secret}"`);
    expect(text).toContain("[redacted]");
  });
});

describe("operations endpoints", () => {
  test("/health answers 200", async () => {
    const { app } = build();
    const response = await app.handle(new Request("http://localhost/health"));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  test("/ready falls while a check fails and recovers by itself", async () => {
    let databaseUp = true;
    const { app } = build({ database: () => databaseUp, keys: async () => true });
    const ready = () => app.handle(new Request("http://localhost/ready"));

    expect((await ready()).status).toBe(200);
    databaseUp = false;
    const down = await ready();
    expect(down.status).toBe(503);
    const problem = (await problemOf(down)) as { detail?: string; checks?: Record<string, string> };
    expect(problem.detail).toBe("Not ready: database down");
    expect(problem.checks).toEqual({ database: "down", keys: "up" });
    databaseUp = true;
    expect(await (await ready()).json()).toEqual({ status: "ready", checks: { database: "up", keys: "up" } });
  });

  test("/ready treats a throwing or hanging check as down, and tells the hanging one to stop", async () => {
    let hangingSignal: AbortSignal | undefined;
    const { app } = build({
      throws: () => {
        throw new Error("mongodb://user:secret@host");
      },
      hangs: (signal: AbortSignal) => {
        hangingSignal = signal;
        return new Promise<boolean>(() => {});
      },
    });
    const response = await app.handle(new Request("http://localhost/ready"));
    expect(response.status).toBe(503);
    const text = await response.text();
    expect(text).toContain("throws, hangs");
    expect(text).not.toContain("secret");
    expect(hangingSignal?.aborted).toBeTrue();
  });

  test("/metrics counts requests by route pattern and status", async () => {
    const { app, metrics, lines } = build();
    let queued = 3;
    metrics.gauge("test_queued", "queued things", () => queued);
    await app.handle(json("/echo/1", JSON.stringify({ name: "ada", password: "correct horse" })));
    await app.handle(json("/echo/2", JSON.stringify({ name: "ada", password: "correct horse" })));
    await app.handle(json("/echo/3", "{"));
    await requestLines(lines, 3);
    queued = 5;
    const response = await app.handle(new Request("http://localhost/metrics"));
    expect(response.headers.get("content-type")).toStartWith("text/plain");
    const text = await response.text();
    expect(text).toContain('http_requests_total{method="POST",route="/echo/:id",status="200"} 2');
    expect(text).toContain('http_requests_total{method="POST",route="/echo/:id",status="400"} 1');
    expect(text).toContain('http_request_duration_seconds_count{method="POST",route="/echo/:id",status_class="2xx"} 2');
    expect(text).toContain('http_request_duration_seconds_count{method="POST",route="/echo/:id",status_class="4xx"} 1');
    expect(text).toContain("test_queued 5");
  });

  test("two apps in one process keep separate metrics", async () => {
    const first = build();
    const second = build();
    await first.app.handle(new Request("http://localhost/health"));
    await requestLines(first.lines, 1);
    const text = await (await second.app.handle(new Request("http://localhost/metrics"))).text();
    expect(text).not.toContain('route="/health"');
  });

  test("OpenAPI JSON documents the routes and the problem schema; the UI is served", async () => {
    const { app } = build();
    const spec = (await (await app.handle(new Request("http://localhost/swagger/json"))).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(spec.paths)).toContain("/ready");
    expect(JSON.stringify(spec.paths["/ready"])).toContain('"503"');
    const echo = spec.paths["/echo/{id}"] as {
      post: { requestBody: { content: Record<string, { schema: { required?: string[] } }> } };
    };
    expect(Object.keys(echo.post.requestBody.content)).toEqual(["application/json"]);
    expect(echo.post.requestBody.content["application/json"]!.schema.required).toEqual(["name", "password"]);
    const ui = await app.handle(new Request("http://localhost/swagger"));
    expect(ui.status).toBe(200);
    expect(ui.headers.get("content-type")).toContain("text/html");
  });
});
