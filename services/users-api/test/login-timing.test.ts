// Login timing tells no kind of account from another: a wrong password for an unknown address, an argon2id account and
// a seed-era bcrypt account (slower to check) take as long, through the real users-api app and the real auth-api at
// its default hashing cost, with a bcrypt hash at the cost the seed's Express services used.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Connection } from "mongoose";
import { captureLogger, expectMediansWithin } from "@accounts/shared/testing";
import { connectTestDatabase, dropTestDatabase } from "./database.ts";
import { buildUsersApp, request, startAuthApi } from "./support.ts";
import { prepareDatabase } from "../src/prepare.ts";

const SAMPLES = 15;
const seedPassword = "seed-era password";

let db: Connection;
let authApi: Awaited<ReturnType<typeof startAuthApi>>;
let app: ReturnType<typeof buildUsersApp>["app"];

beforeAll(async () => {
  db = await connectTestDatabase("users_login_timing");
  const { logger } = captureLogger("users-api");
  await prepareDatabase(db, logger);
  // The seed hashed with bcrypt at cost 12 ($2a$, as its library wrote).
  const seedHash = (await Bun.password.hash(seedPassword, { algorithm: "bcrypt", cost: 12 })).replace(
    /^\$2b\$/,
    "$2a$",
  );
  await db.collection("users").insertOne({ email: "seed@example.com", password: seedHash });
  // The default cost (argon2id m=19456 KiB, t=2), not the suites' cheap one: the point is how long a check takes.
  authApi = await startAuthApi(0, { HASH_MEMORY_KIB: 19456, HASH_TIME_COST: 2 });
  app = buildUsersApp(db, authApi.url, {
    env: { LOGIN_FAILURES_BEFORE_DELAY: "1000", LOGINS_PER_CLIENT_PER_MINUTE: "100000" },
  }).app;
  const signUp = request("POST", "/signup", { body: { email: "ada@example.com", password: "correct horse battery" } });
  expect((await app.handle(signUp)).status).toBe(201);
});
afterAll(async () => {
  await authApi.stop();
  await dropTestDatabase(db);
});

async function wrongPasswordMs(email: string) {
  const started = performance.now();
  const response = await app.handle(request("POST", "/login", { body: { email, password: "not the password" } }));
  expect(response.status).toBe(401);
  return performance.now() - started;
}

test("a wrong password takes as long for an unknown address, an argon2id account and a seed-era bcrypt one", async () => {
  const kinds = { unknown: "nobody@example.com", argon2id: "ada@example.com", bcrypt: "seed@example.com" };
  const samples: Record<string, number[]> = { unknown: [], argon2id: [], bcrypt: [] };
  // Unrecorded first round: auth-api measures the floor on its first check, and connections warm up.
  for (const email of Object.values(kinds)) await wrongPasswordMs(email);
  for (let round = 0; round < SAMPLES; round++)
    for (const [kind, email] of Object.entries(kinds)) samples[kind]!.push(await wrongPasswordMs(email));
  expectMediansWithin(samples, 1.3);
  // A right seed-era password still logs in, and its hash becomes argon2id.
  const login = await app.handle(request("POST", "/login", { body: { email: kinds.bcrypt, password: seedPassword } }));
  expect(login.status).toBe(200);
  expect((await db.collection("users").findOne({ email: kinds.bcrypt }))?.password).toStartWith("$argon2id$");
}, 60_000);
