// SIGTERM with writes in flight, as in a rolling deploy, for both services as processes: every request already
// sent is answered as it would have been, /ready says 503 before the port closes and never 200 again once it
// has (so no new work is routed here), and the process exits 0.
import { usersApiProcessEnv } from "./support.ts";
import { afterAll, beforeAll, expect, test } from "bun:test";
import { availableParallelism } from "node:os";
import { generateSigningKey } from "@accounts/auth-api/keys/generate";
import { generateInternalToken } from "@accounts/shared/secrets";
import { freePort, startService, type RunningService } from "@accounts/scripts/lib/processes";
import { waitFor } from "@accounts/shared/testing";
import { processDatabase } from "./process-database.ts";

const internalToken = generateInternalToken();
const password = "correct horse battery";
let authEnv: Record<string, string>;
let database: Awaited<ReturnType<typeof processDatabase>>;

beforeAll(async () => {
  database = await processDatabase("users_shutdown");
  authEnv = { INTERNAL_TOKEN: internalToken, JWT_SIGNING_KEY: JSON.stringify((await generateSigningKey()).privateJwk) };
});
afterAll(() => database.drop());

const send = (url: string, method: string, path: string, body?: object, token = "") =>
  fetch(`${url}${path}`, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body && JSON.stringify(body),
  }).then(
    async (response) => ({ path, status: response.status as number | "refused", body: await response.text() }),
    () => ({ path, status: "refused" as const, body: "" }),
  );

async function hashesInFlight(authUrl: string): Promise<number> {
  const metrics = await (await fetch(`${authUrl}/metrics`)).text();
  return Number(/^password_hashes_in_flight (\d+)$/m.exec(metrics)?.[1] ?? 0);
}

/**
 * Sends SIGTERM to `service` while `inFlight` are being answered and probes /ready until it has exited:
 * resolves the exit code and every probe's answer (a status, or "refused" once it no longer accepts connections).
 * `stop` kills a process still running 10 s after the signal, so the probing ends.
 */
async function terminateWhileProbing(service: RunningService) {
  const probes: (number | "refused")[] = [];
  const exited = service.stop();
  let done = false;
  void exited.then(() => (done = true));
  while (!done) {
    probes.push(
      await fetch(`${service.url}/ready`).then(
        (r) => {
          void r.body?.cancel();
          return r.status;
        },
        () => "refused" as const,
      ),
    );
    // A probe every 5 ms: how often readiness is sampled, not what orders the events; the exit ends the wait.
    await Promise.race([exited, Bun.sleep(5)]);
  }
  return { exitCode: await exited, probes };
}

/**
 * Probes sent as the signal is delivered may still find the service ready; after that, 503 comes before the port
 * closes, and once readiness has fallen it never returns.
 */
function expectReadinessFallsFirst(probes: (number | "refused")[]) {
  const fell = probes.findIndex((status) => status !== 200);
  expect(probes[fell]).toBe(503);
  expect(probes.slice(fell).filter((status) => status === 200)).toEqual([]);
}

test("users-api: SIGTERM with sign-ups and deletions in flight lets them finish, stops being ready, exits 0", async () => {
  const authApi = await startService("auth-api", { port: freePort(), env: authEnv });
  const usersApi = await startService("users-api", {
    env: {
      ...usersApiProcessEnv(),
      MONGODB_URI: database.uri,
      AUTH_API_URL: authApi.url,
      INTERNAL_TOKEN: internalToken,
    },
  });
  // Accounts to delete, each logged in: the logins leave kept-alive connections, which the deletions reuse.
  const doomed = Array.from({ length: 4 }, (_, i) => ({ email: `doomed${i}@example.com`, password }));
  for (const account of doomed) expect((await send(usersApi.url, "POST", "/signup", account)).status).toBe(201);
  const tokens = await Promise.all(
    doomed.map(
      async (account) => JSON.parse((await send(usersApi.url, "POST", "/login", account)).body).token as string,
    ),
  );
  expect((await fetch(`${usersApi.url}/ready`)).status).toBe(200);
  // Twice as many sign-ups as auth-api hashes at once, so some are still waiting when the signal comes.
  const signUps = Array.from({ length: 2 * availableParallelism() }, (_, i) =>
    send(usersApi.url, "POST", "/signup", { email: `late${i}@example.com`, password }),
  );
  await waitFor(async () => (await hashesInFlight(authApi.url)) > 0, "a hash in flight in auth-api");
  const deletions = tokens.map((token) => send(usersApi.url, "DELETE", "/user", { password }, token));
  const { exitCode, probes } = await terminateWhileProbing(usersApi);

  expect((await Promise.all(signUps)).map(({ status }) => status)).toEqual(signUps.map(() => 201));
  expect((await Promise.all(deletions)).map(({ status }) => status)).toEqual(deletions.map(() => 204));
  expectReadinessFallsFirst(probes);
  expect(exitCode).toBe(0);
  // The sign-ups answered after "shutting down" were in flight when the signal came.
  const logs = usersApi.logs();
  const shutdown = logs.findIndex((line) => line.msg === "shutting down");
  expect(shutdown).toBeGreaterThanOrEqual(0);
  expect(logs.slice(shutdown).filter((line) => line.route === "/signup" && line.status === 201).length).toBeGreaterThan(
    0,
  );
  // Each answered write is in the database as answered.
  for (let i = 0; i < signUps.length; i++)
    expect(await database.db.collection("users").countDocuments({ email: `late${i}@example.com` })).toBe(1);
  for (const { email } of doomed) expect(await database.db.collection("users").countDocuments({ email })).toBe(0);
  expect(await authApi.stop()).toBe(0);
}, 60_000);

test("auth-api: SIGTERM with hashes and token checks in flight lets them finish, stops being ready, exits 0", async () => {
  const authApi = await startService("auth-api", { port: freePort(), env: authEnv });
  const internal = { authorization: `Bearer ${internalToken}`, "content-type": "application/json" };
  const call = (path: string, body: object) =>
    fetch(`${authApi.url}${path}`, { method: "POST", headers: internal, body: JSON.stringify(body) }).then(
      (response) => response.status,
    );
  const { hashed } = (await (
    await fetch(`${authApi.url}/hashed-pw`, { method: "POST", headers: internal, body: JSON.stringify({ password }) })
  ).json()) as { hashed: string };

  const work = Array.from({ length: 2 * availableParallelism() }, (_, i) =>
    i % 2 === 0
      ? call("/hashed-pw", { password })
      : call("/token", { userId: `user-${i}`, sessionId: `session-${i}`, password, hashedPassword: hashed }),
  );
  await waitFor(async () => (await hashesInFlight(authApi.url)) > 0, "a hash in flight in auth-api");
  const { exitCode, probes } = await terminateWhileProbing(authApi);

  expect(await Promise.all(work)).toEqual(work.map(() => 200));
  expectReadinessFallsFirst(probes);
  expect(exitCode).toBe(0);
  const logs = authApi.logs();
  const shutdown = logs.findIndex((line) => line.msg === "shutting down");
  expect(logs.slice(shutdown).filter((line) => line.status === 200).length).toBeGreaterThan(0);
}, 60_000);
