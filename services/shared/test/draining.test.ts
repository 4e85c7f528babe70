import { expect, test } from "bun:test";
import { testServiceApp } from "./helpers.ts";

test("once draining (listen sets it on SIGTERM), /ready answers 503 with Retry-After and the rest keeps serving", async () => {
  const app = testServiceApp({ readiness: { database: () => true } });
  const get = (path: string) => app.handle(new Request(`http://localhost${path}`));
  expect((await get("/ready")).status).toBe(200);

  app.store.draining = true;
  const ready = await get("/ready");
  expect(ready.status).toBe(503);
  expect(ready.headers.get("retry-after")).toBe("1");
  expect(await ready.json()).toEqual({
    type: "about:blank",
    title: "Service Unavailable",
    status: 503,
    detail: "Not ready: shutting down",
  });
  expect((await get("/health")).status).toBe(200);
});
