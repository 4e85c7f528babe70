// Readiness falls and recovers with MongoDB: this suite runs a FerretDB of its own, stops it and
// starts it again at the same address.
import { afterAll, beforeAll, expect, test } from "bun:test";
import mongoose, { type Connection } from "mongoose";
import { startFerretDB, type LocalDatabase } from "@accounts/scripts/lib/ferretdb";
import { hasGo } from "@accounts/scripts/lib/go-tools";
import { mongodbOptions } from "../src/mongodb.ts";
import { captureLogger, waitFor } from "@accounts/shared/testing";
import { buildUsersApp, request, startAuthApi } from "./support.ts";
import { prepareDatabase } from "../src/prepare.ts";

// Locally, without Go, FerretDB cannot be built: skip. In CI that is a broken set-up: fail.
const runnable = hasGo() || Boolean(process.env.CI);

let database: LocalDatabase;
let db: Connection;
let authApi: Awaited<ReturnType<typeof startAuthApi>>;

beforeAll(async () => {
  if (!runnable) return;
  database = await startFerretDB();
  db = await mongoose.createConnection(database.uri, { ...mongodbOptions, dbName: "users_outage" }).asPromise();
  await prepareDatabase(db, captureLogger("users-api").logger);
  authApi = await startAuthApi();
}, 120_000);
afterAll(async () => {
  if (!runnable) return;
  await authApi.stop();
  await db.close();
  await database.stop();
});

async function readiness(app: ReturnType<typeof buildUsersApp>["app"]) {
  const response = await app.handle(request("GET", "/ready"));
  return { status: response.status, checks: ((await response.json()) as { checks: Record<string, string> }).checks };
}

test.skipIf(!runnable)(
  "/ready turns 503 while MongoDB is down, requests get 503 not a hang, and both recover by themselves",
  async () => {
    const { app, lines } = buildUsersApp(db, authApi.url);
    const credentials = { email: "ada@example.com", password: "correct horse battery" };
    expect(await readiness(app)).toEqual({ status: 200, checks: { mongodb: "up", authApi: "up" } });

    const port = Number(new URL(database.uri).port);
    await database.stop();
    expect(await readiness(app)).toEqual({ status: 503, checks: { mongodb: "down", authApi: "up" } });
    const started = performance.now();
    const signUp = await app.handle(request("POST", "/signup", { body: credentials }));
    expect(signUp.status).toBe(503);
    expect(signUp.headers.get("content-type")).toBe("application/problem+json");
    expect(performance.now() - started).toBeLessThan(10_000);
    expect((await app.handle(request("POST", "/login", { body: credentials }))).status).toBe(503);

    database = await startFerretDB({ port });
    // The driver reconnects on its own schedule: the condition is readiness itself, asked until it holds.
    const ready = await waitFor(
      async () => {
        const answer = await readiness(app);
        return answer.status === 200 && answer;
      },
      "readiness back after MongoDB returned",
      20_000,
    );
    expect(ready).toEqual({ status: 200, checks: { mongodb: "up", authApi: "up" } });
    expect((await app.handle(request("POST", "/signup", { body: credentials }))).status).toBe(201);
    // The outage is an expected condition, not a crash: no "unhandled error" lines.
    expect(lines.filter((line) => line.msg === "unhandled error")).toEqual([]);
  },
  60_000,
);
