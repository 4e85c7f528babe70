// Found by the fault suite (faults.test.ts): a database that stops answering held each request as long as it
// stayed silent. A relay between users-api and the test database that can stop passing answers on stands in
// for it here.
import { afterAll, beforeAll, expect, test } from "bun:test";
import mongoose, { type Connection } from "mongoose";
import { DATABASE_OPERATION_TIMEOUT_MS, mongodbOptions } from "../src/mongodb.ts";
import { captureLogger } from "@accounts/shared/testing";
import { mongodbUri } from "./database.ts";
import { buildUsersApp, request, startAuthApi } from "./support.ts";
import { prepareDatabase } from "../src/prepare.ts";

/** A TCP relay to `upstream` that passes the server's answers on until `stall()`. */
function startRelay(upstream: URL) {
  let stalled = false;
  // What the client sent before the connection to the server was open, in order.
  type Link = { peer?: Bun.Socket; pending: Uint8Array[] };
  const server = Bun.listen<Link>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      async open(client) {
        client.data = { pending: [] };
        const peer = await Bun.connect({
          hostname: upstream.hostname,
          port: Number(upstream.port || 27017),
          socket: {
            data: (_, chunk) => {
              if (!stalled) client.write(chunk);
            },
            close: () => {
              client.end();
            },
          },
        });
        for (const chunk of client.data.pending) peer.write(chunk);
        client.data.peer = peer;
      },
      data: (client, chunk) => {
        if (client.data.peer) client.data.peer.write(chunk);
        else client.data.pending.push(new Uint8Array(chunk));
      },
      close: (client) => {
        client.data.peer?.end();
      },
    },
  });
  return { port: server.port, stall: () => (stalled = true), stop: () => server.stop(true) };
}

let relay: ReturnType<typeof startRelay>;
let db: Connection;
let viaRelay: Connection;
let authApi: Awaited<ReturnType<typeof startAuthApi>>;

beforeAll(async () => {
  const dbName = `users_deadline_${crypto.randomUUID().slice(0, 8)}`;
  db = await mongoose.createConnection(mongodbUri(), { ...mongodbOptions, dbName }).asPromise();
  await prepareDatabase(db, captureLogger("users-api").logger);
  relay = startRelay(new URL(mongodbUri()));
  viaRelay = await mongoose
    .createConnection(`mongodb://127.0.0.1:${relay.port}`, { ...mongodbOptions, dbName, directConnection: true })
    .asPromise();
  authApi = await startAuthApi();
});
afterAll(async () => {
  await authApi.stop();
  relay.stop();
  await viaRelay.close(true);
  await db.dropDatabase();
  await db.close();
});

test("a database that stops answering: 503 with Retry-After once DATABASE_OPERATION_TIMEOUT_MS has passed", async () => {
  const { app } = buildUsersApp(viaRelay, authApi.url);
  const credentials = { email: "ada@example.com", password: "correct horse battery" };
  expect((await app.handle(request("POST", "/signup", { body: credentials }))).status).toBe(201);

  relay.stall();
  for (const [method, path] of [
    ["POST", "/login"],
    ["POST", "/signup"],
  ] as const) {
    const started = performance.now();
    const response = await app.handle(
      request(method, path, { body: { ...credentials, email: `${path.slice(1)}@example.com` } }),
    );
    const elapsed = performance.now() - started;
    expect({ path, status: response.status, retryAfter: response.headers.get("retry-after") }).toEqual({
      path,
      status: 503,
      retryAfter: "1",
    });
    expect(await response.json()).toMatchObject({ detail: "The database did not answer in time; try again shortly" });
    expect(elapsed).toBeGreaterThanOrEqual(DATABASE_OPERATION_TIMEOUT_MS - 50);
    expect(elapsed).toBeLessThan(DATABASE_OPERATION_TIMEOUT_MS + 2_000);
  }
}, 30_000);
