// The database commands each request path sends, seen by the driver's command monitoring, so a change that adds one
// fails here. Commands are grouped in rounds: one sent while another of the same request is in flight shares its
// round; a round starts when none is. The real auth-api and database, through app.handle.
import { beforeAll, expect, test } from "bun:test";
import type { mongo } from "mongoose";
import { auditEventsCollectionName } from "../src/audit/collection.ts";
import { useUsersApi } from "./support.ts";

const password = "correct horse battery";
const wrong = "wrong password!";

const api = useUsersApi("round_trips", { connection: { monitorCommands: true } });
const { call } = api;

/** While recording: each round's commands, as `<command> <collection>` (`×n` for several statements in one). */
let rounds: string[][] | undefined;
const inFlight = new Set<number>();

const describeCommand = ({ commandName, command }: mongo.CommandStartedEvent) => {
  const statements = (command.updates ?? command.deletes ?? command.documents)?.length ?? 1;
  return `${commandName} ${command[commandName]}${statements > 1 ? ` ×${statements}` : ""}`;
};

beforeAll(async () => {
  const client = api.db.getClient();
  client.on("commandStarted", (event) => {
    // Audit events are stored by the audit buffer's flush, apart from every request (audit/service.ts), whenever
    // its delay ends: no request waits for that insert, so it is no round of one.
    if (!rounds || event.command.insert === auditEventsCollectionName) return;
    if (inFlight.size === 0) rounds.push([]);
    inFlight.add(event.requestId);
    rounds.at(-1)!.push(describeCommand(event));
  });
  for (const finished of ["commandSucceeded", "commandFailed"] as const)
    client.on(finished, (event: { requestId: number }) => inFlight.delete(event.requestId));
  // Enough pooled connections that the commands of one round never wait for a new one.
  await Promise.all(Array.from({ length: 6 }, () => api.db.db!.command({ ping: 1 })));
});

/** What `run` sent to the database, round by round, each round's commands in order of name. */
async function commandsOf(run: () => Promise<{ status: number }>, status: number) {
  rounds = [];
  const answer = await run();
  const sent = rounds.map((round) => round.toSorted());
  rounds = undefined;
  expect(answer.status).toBe(status);
  return sent;
}

let accounts = 0;
async function account() {
  const email = `round-trips-${++accounts}@example.com`;
  expect((await call("POST", "/signup", { body: { email, password } })).status).toBe(201);
  return email;
}
const logIn = (email: string, secret: string, deviceToken?: string) =>
  call("POST", "/login", { body: { email, password: secret, ...(deviceToken && { deviceToken }) } });

test("a login: 5 commands in 3 rounds, on a new device and on a known one", async () => {
  const email = await account();
  const successfulLogin = [
    ["find throttles"],
    ["find users", "update throttles ×2"],
    ["update throttles", "update users"],
  ];
  expect(await commandsOf(() => logIn(email, password), 200)).toEqual(successfulLogin);
  const { body } = await logIn(email, password);
  expect(await commandsOf(() => logIn(email, password, body.deviceToken), 200)).toEqual(successfulLogin);
});

test("a wrong password: 3 commands in 2 rounds", async () => {
  const email = await account();
  expect(await commandsOf(() => logIn(email, wrong), 401)).toEqual([
    ["find throttles"],
    ["find users", "update throttles ×2"],
  ]);
});

test("a throttled login: 1 command", async () => {
  const email = await account();
  for (let failure = 1; failure <= 5; failure++) expect((await logIn(email, wrong)).status).toBe(401);
  expect(await commandsOf(() => logIn(email, password), 429)).toEqual([["find throttles"]]);
});

test("GET /user: 1 command", async () => {
  const { body } = await logIn(await account(), password);
  expect(await commandsOf(() => call("GET", "/user", { token: body.token }), 200)).toEqual([["find users"]]);
});

test("a refresh: 2 commands, the client's window, then the rotation", async () => {
  const { body } = await logIn(await account(), password);
  expect(await commandsOf(() => call("POST", "/refresh", { body: { refreshToken: body.refreshToken } }), 200)).toEqual([
    ["update throttles"],
    ["findAndModify users"],
  ]);
});
