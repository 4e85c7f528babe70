import { describe, expect, test } from "bun:test";
import { captureLogger, requestLines } from "@accounts/shared/testing";
import { createApp } from "../src/app.ts";
import { generateSigningKey } from "../src/keys/generate.ts";
import { buildApp, INTERNAL_TOKEN } from "./helpers.ts";

describe("unknown paths and methods", () => {
  test("a path nothing serves is 404 problem+json for any method; a served one asked otherwise is 405 with Allow", async () => {
    const { app } = await buildApp();
    for (const method of ["GET", "POST", "PUT", "DELETE"]) {
      const response = await app.handle(new Request("http://localhost/nonexistent", { method }));
      expect({ method, status: response.status, allow: response.headers.get("allow") }).toEqual({
        method,
        status: 404,
        allow: null,
      });
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(await response.json()).toMatchObject({ status: 404, detail: "No such route" });
    }
    for (const [method, path, allow] of [
      ["GET", "/token", "POST"],
      ["POST", "/.well-known/jwks.json", "GET, HEAD"],
    ] as const) {
      const response = await app.handle(new Request(`http://localhost${path}`, { method }));
      expect({ method, path, status: response.status, allow: response.headers.get("allow") }).toEqual({
        method,
        path,
        status: 405,
        allow,
      });
    }
  });
});

describe("auth-api operations routes", () => {
  test("health, readiness, metrics, JWKS and docs need no credential", async () => {
    const { app } = await buildApp();
    for (const path of ["/health", "/ready", "/metrics", "/.well-known/jwks.json", "/swagger", "/swagger/json"]) {
      const response = await app.handle(new Request(`http://localhost${path}`));
      expect({ path, status: response.status }).toEqual({ path, status: 200 });
    }
  });

  test("/ready checks the signing key round trip", async () => {
    const { app } = await buildApp();
    expect(await (await app.handle(new Request("http://localhost/ready"))).json()).toEqual({
      status: "ready",
      checks: { signingKey: "up" },
    });
  });

  test("/ready is 503 naming signingKey when its tokens do not verify against the published keys", async () => {
    const { config, keys, hasher } = await buildApp();
    // The private key stays, but the only published key is another one: every token it signs fails to verify.
    const published = [{ ...(await generateSigningKey()).publicJwk, kid: keys.kid }];
    const app = createApp({
      config,
      keys: { ...keys, publicJwks: published },
      hasher,
      logger: captureLogger().logger,
      clock: Date.now,
      monotonic: () => performance.now(),
    });
    const response = await app.handle(new Request("http://localhost/ready"));
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("1");
    expect(await response.json()).toEqual({
      type: "about:blank",
      title: "Service Unavailable",
      status: 503,
      detail: "Not ready: signingKey down",
      checks: { signingKey: "down" },
    });
  });

  test("OpenAPI documents every route with its request, response and problem schemas, and the internal credential", async () => {
    const { app } = await buildApp();
    const spec = (await (await app.handle(new Request("http://localhost/swagger/json"))).json()) as {
      paths: Record<
        string,
        Record<
          string,
          {
            requestBody?: { content: Record<string, { schema?: { required?: string[] } }> };
            responses: Record<string, unknown>;
            security?: unknown;
          }
        >
      >;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(Object.keys(spec.paths).sort()).toEqual([
      "/.well-known/jwks.json",
      "/hashed-pw",
      "/health",
      "/metrics",
      "/ready",
      "/token",
      "/token/refresh",
    ]);
    const bodyFields = {
      "/hashed-pw": ["password"],
      "/token": ["userId", "sessionId", "password"],
      "/token/refresh": ["userId", "sessionId", "otp"],
    };
    for (const [path, required] of Object.entries(bodyFields)) {
      const operation = spec.paths[path]!.post!;
      expect(operation.requestBody).toBeDefined();
      expect(Object.keys(operation.requestBody!.content)).toEqual(["application/json"]);
      expect(operation.requestBody!.content["application/json"]!.schema?.required).toEqual(required);
      expect(Object.keys(operation.responses)).toContain("200");
      expect(Object.keys(operation.responses)).toContain("401");
      expect(Object.keys(operation.responses)).toContain("422");
      expect(operation.security).toEqual([{ internalToken: [] }]);
    }
    expect(Object.keys(spec.paths["/token"]!.post!.responses)).toContain("503");
    expect(spec.components.securitySchemes).toHaveProperty("internalToken");
    expect(JSON.stringify(spec)).not.toContain(INTERNAL_TOKEN);
  });

  test("metrics count requests by route pattern", async () => {
    const { app, lines } = await buildApp();
    await app.handle(new Request("http://localhost/.well-known/jwks.json"));
    // Counted as its log line is written, after the response.
    await requestLines(lines, 1);
    const text = await (await app.handle(new Request("http://localhost/metrics"))).text();
    expect(text).toContain('http_requests_total{method="GET",route="/.well-known/jwks.json",status="200"} 1');
  });
});
