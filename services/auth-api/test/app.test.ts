import { describe, expect, test } from "bun:test";
import { buildApp, INTERNAL_TOKEN } from "./helpers.ts";

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
      "/verify-token",
    ]);
    const bodyFields = {
      "/hashed-pw": ["password"],
      "/token": ["userId", "password"],
      "/token/refresh": ["userId", "sessionId"],
      "/verify-token": ["token"],
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
    const { app } = await buildApp();
    await app.handle(new Request("http://localhost/.well-known/jwks.json"));
    await Bun.sleep(10);
    const text = await (await app.handle(new Request("http://localhost/metrics"))).text();
    expect(text).toContain('http_requests_total{method="GET",route="/.well-known/jwks.json",status="200"} 1');
  });
});
