// Two users-api processes (two replicas) on one database, in front of one auth-api process: the counters live in
// MongoDB, so failures split across both replicas still throttle the account on each.
import { afterAll, beforeAll, expect, test } from "bun:test";
import mongoose, { type Connection } from "mongoose";
import { generateSigningKey } from "@accounts/auth-api/keys/generate";
import { generateInternalToken } from "@accounts/shared/secrets";
import { type RunningService, startService } from "@accounts/scripts/lib/processes";
import { mongodbOptions } from "../src/mongodb.ts";
import { mongodbUri } from "./database.ts";
import { encryptionKey, mailFrom, requestInit, sharedMailbox } from "./support.ts";

const internalToken = generateInternalToken();
let db: Connection;
let authApi: RunningService;
let replicas: RunningService[];

beforeAll(async () => {
  const url = new URL(mongodbUri());
  url.pathname = `/users_replicas_${crypto.randomUUID().slice(0, 8)}`;
  db = await mongoose.createConnection(url.toString(), mongodbOptions).asPromise();
  authApi = await startService("auth-api", {
    env: { INTERNAL_TOKEN: internalToken, JWT_SIGNING_KEY: JSON.stringify((await generateSigningKey()).privateJwk) },
  });
  const env = {
    MONGODB_URI: url.toString(),
    AUTH_API_URL: authApi.url,
    INTERNAL_TOKEN: internalToken,
    MFA_ENCRYPTION_KEY: encryptionKey,
    SMTP_URL: sharedMailbox.url,
    MAIL_FROM: mailFrom,
    // A wait far longer than this test, so no timing on a busy machine can end it early.
    LOGIN_DELAY_BASE_MS: "60000",
  };
  replicas = await Promise.all([startService("users-api", { env }), startService("users-api", { env })]);
}, 60_000);

afterAll(async () => {
  await Promise.all((replicas ?? []).map((replica) => replica.stop()));
  await authApi?.stop();
  await db.dropDatabase();
  await db.close();
});

const logIn = (replica: RunningService, email: string, password: string) =>
  fetch(`${replica.url}/login`, requestInit("POST", { body: { email, password } }));

async function tokenCalls(): Promise<number> {
  const metrics = await (await fetch(`${authApi.url}/metrics`)).text();
  return [...metrics.matchAll(/^http_requests_total\{method="POST",route="\/token",status="\d+"\} (\d+)$/gm)].reduce(
    (sum, [, count]) => sum + Number(count),
    0,
  );
}

test("failures split across two replicas throttle the account on both, and the refusals never reach auth-api", async () => {
  const [first, second] = replicas as [RunningService, RunningService];
  const email = "shared@example.com";
  const password = "correct horse battery";
  expect((await fetch(`${first.url}/signup`, requestInit("POST", { body: { email, password } }))).status).toBe(201);

  for (const replica of [first, second, first, second, first]) {
    const response = await logIn(replica, email, "wrong password!");
    await response.body?.cancel();
    expect(response.status).toBe(401);
  }
  expect(await tokenCalls()).toBe(5);

  for (const replica of [second, first]) {
    const refused = await logIn(replica, email, password);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(50);
    expect(retryAfter).toBeLessThanOrEqual(60);
    await refused.body?.cancel();
  }
  expect(await tokenCalls()).toBe(5);
}, 30_000);
