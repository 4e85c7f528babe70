// Found by the fuzzing suite (services/users-api/test/fuzz.test.ts): a method a path does not serve got the router's 404.
import { expect, test } from "bun:test";
import { t } from "elysia";
import { PROBLEM_CONTENT_TYPE } from "../src/index.ts";
import { allowedMethods } from "../src/method-not-allowed.ts";
import { testServiceApp } from "./helpers.ts";

const app = testServiceApp()
  .post("/things", () => ({ made: true }), { parse: "json", body: t.Object({ name: t.String() }) })
  .get("/things/:id", ({ params }) => ({ id: params.id }))
  .delete("/things/:id", () => new Response(null, { status: 204 }));

const send = (method: string, path: string) => app.handle(new Request(`http://localhost${path}`, { method }));

test("a served path asked with another method: 405 problem+json with Allow listing what is served", async () => {
  for (const [method, path, allow] of [
    ["PUT", "/things", "POST"],
    ["TRACE", "/things", "POST"],
    ["PATCH", "/things/42", "DELETE, GET, HEAD"],
    ["POST", "/health", "GET, HEAD"],
    ["DELETE", "/swagger/json", "GET, HEAD"],
  ] as const) {
    const response = await send(method, path);
    expect({ method, path, status: response.status, allow: response.headers.get("allow") }).toEqual({
      method,
      path,
      status: 405,
      allow,
    });
    expect(response.headers.get("content-type")).toBe(PROBLEM_CONTENT_TYPE);
    expect(await response.json()).toEqual({
      type: "about:blank",
      title: "Method Not Allowed",
      status: 405,
      detail: "This path does not serve that method; the Allow header lists those it does",
    });
  }
});

test("a path no route serves is still 404, and served methods are unaffected", async () => {
  const missing = await send("GET", "/nothing/here");
  expect(missing.status).toBe(404);
  expect(missing.headers.get("allow")).toBeNull();
  expect(await missing.json()).toMatchObject({ status: 404, detail: "No such route" });
  expect((await send("GET", "/things/42")).status).toBe(200);
  expect((await send("HEAD", "/things/42")).status).toBe(200);
  expect((await send("DELETE", "/things/42")).status).toBe(204);
});

test("route patterns: a parameter is one segment, a wildcard the rest, other characters literal", () => {
  const routes = [
    { method: "GET", path: "/a/:id" },
    { method: "PUT", path: "/files/*" },
    { method: "GET", path: "/.well-known/jwks.json" },
  ];
  expect(allowedMethods(routes, "/a/1")).toEqual(["GET", "HEAD"]);
  expect(allowedMethods(routes, "/a/1/2")).toEqual([]);
  expect(allowedMethods(routes, "/files/x/y")).toEqual(["PUT"]);
  expect(allowedMethods(routes, "/.well-known/jwks.json")).toEqual(["GET", "HEAD"]);
  expect(allowedMethods(routes, "/.well-known/jwksXjson")).toEqual([]);
});

test("CORS preflight routes (OPTIONS on / and /*) make no path served; where another route serves it, OPTIONS is listed", () => {
  const routes = [
    { method: "OPTIONS", path: "/" },
    { method: "OPTIONS", path: "/*" },
    { method: "GET", path: "/a/:id" },
    { method: "POST", path: "/b" },
  ];
  expect(allowedMethods(routes, "/nonexistent")).toEqual([]);
  expect(allowedMethods(routes, "/")).toEqual([]);
  expect(allowedMethods(routes, "/a/1")).toEqual(["GET", "HEAD", "OPTIONS"]);
  expect(allowedMethods(routes, "/b")).toEqual(["OPTIONS", "POST"]);
});
