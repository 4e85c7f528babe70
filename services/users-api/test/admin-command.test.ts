// `bun run admin` (under Node, as the script runs it) against a users-api process's admin listener; and that
// process without ADMIN_TOKEN, which starts no admin listener and says so.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { freePort, runUnderNode, startService, type RunningService } from "@accounts/scripts/lib/processes";
import { uniqueName } from "./addresses.ts";
import { processDatabase } from "./process-database.ts";
import { internalToken, startAuthApi, usersApiProcessEnv } from "./support.ts";

const adminToken = "admin-token-for-tests-only-0123456789abcdef";
const repoRoot = join(import.meta.dir, "../../..");
const adminPort = freePort();
let authApi: Awaited<ReturnType<typeof startAuthApi>>;
let usersApi: RunningService;
let database: Awaited<ReturnType<typeof processDatabase>>;

beforeAll(async () => {
  authApi = await startAuthApi();
  database = await processDatabase("users_admin_command");
  usersApi = await startService("users-api", {
    env: {
      ...usersApiProcessEnv(),
      MONGODB_URI: database.uri,
      AUTH_API_URL: authApi.url,
      INTERNAL_TOKEN: internalToken,
      ADMIN_PORT: String(adminPort),
      ADMIN_TOKEN: adminToken,
    },
  });
}, 60_000);
afterAll(async () => {
  await usersApi?.stop();
  await authApi?.stop();
  await database?.drop();
});

const runAdmin = (args: string[], env: Record<string, string> = {}) =>
  runUnderNode(join(repoRoot, "scripts/admin.ts"), args, { ADMIN_URL: `http://127.0.0.1:${adminPort}`, ...env });

const signUp = async (email: string) => {
  const response = await fetch(`${usersApi.url}/signup`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: "correct horse battery" }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { user: { id: string } }).user.id;
};

test("find prints a table, and --json the API's answer; disable, show and delete act on the user", async () => {
  // A prefix only this test's two accounts have: the other tests' accounts are not in what it finds.
  const prefix = uniqueName("command");
  const id = await signUp(`${prefix}-ada@example.com`);
  await signUp(`${prefix}-bob@example.com`);
  const found = await runAdmin(["users", "find", `${prefix.toUpperCase()}-`, "--limit", "1"], {
    ADMIN_TOKEN: adminToken,
  });
  expect(found.exitCode).toBe(0);
  const lines = found.stdout.trim().split("\n");
  expect(lines[0]).toMatch(/^ID\s+EMAIL\s+CREATED\s+VERIFIED\s+DISABLED\s+TOTP\s+LAST LOGIN$/);
  expect(lines[1]).toMatch(new RegExp(`^${id}\\s+${prefix}-ada@example.com\\s+\\S+\\s+no\\s+no\\s+no\\s+-$`));
  expect(lines[2]).toMatch(/^more: --after \S+$/);

  const json = await runAdmin(["users", "find", `${prefix}-`, "--json"], { ADMIN_TOKEN: adminToken });
  expect(JSON.parse(json.stdout)).toMatchObject({
    users: [{ id, email: `${prefix}-ada@example.com` }, { email: `${prefix}-bob@example.com` }],
    next: null,
  });

  expect((await runAdmin(["users", "disable", id], { ADMIN_TOKEN: adminToken })).exitCode).toBe(2);
  const disabled = await runAdmin(["users", "disable", id, "--reason", "test"], { ADMIN_TOKEN: adminToken });
  expect([disabled.exitCode, disabled.stdout.trim()]).toEqual([
    0,
    `${id}: disabled: its sessions and device tokens ended`,
  ]);
  const shown = await runAdmin(["users", "show", id], { ADMIN_TOKEN: adminToken });
  expect(shown.stdout).toMatch(/\s+yes\s+no\s+-\n\nno live sessions\n$/);
  expect((await runAdmin(["users", "delete", id], { ADMIN_TOKEN: adminToken })).exitCode).toBe(0);
  const gone = await runAdmin(["users", "show", id], { ADMIN_TOKEN: adminToken });
  expect([gone.exitCode, gone.stdout.trim()]).toEqual([1, "error: 404 No user has this id"]);
}, 60_000);

test("audit --user lists the user's events newest first, with the operator's own actions", async () => {
  const id = await signUp("command-audited@example.com");
  expect((await runAdmin(["users", "logout", id], { ADMIN_TOKEN: adminToken })).exitCode).toBe(0);
  const listed = await runAdmin(["audit", "--user", id], { ADMIN_TOKEN: adminToken });
  expect(listed.exitCode).toBe(0);
  const [header, ...rows] = listed.stdout.trim().split("\n");
  expect(header).toMatch(/^AT\s+TYPE\s+ACTOR\s+USER\s+EMAIL\s+IP\s+USER AGENT$/);
  expect(rows.map((row) => row.split(/\s+/).slice(1, 4))).toEqual([
    ["admin.sessions_ended", "admin", id],
    ["account.created", "user", id],
  ]);
  const json = await runAdmin(["audit", "--user", id, "--type", "account.created", "--json"], {
    ADMIN_TOKEN: adminToken,
  });
  expect(JSON.parse(json.stdout).events).toEqual([
    expect.objectContaining({ type: "account.created", userId: id, email: "command-audited@example.com" }),
  ]);
}, 60_000);

test("without the token, or with a wrong one, the command fails without printing any token", async () => {
  const missing = await runAdmin(["users", "find", "a"]);
  expect(missing.exitCode).toBe(2);
  expect(missing.stdout).toContain("ADMIN_TOKEN is not set");
  const wrong = await runAdmin(["users", "find", "a"], { ADMIN_TOKEN: `${adminToken}x` });
  expect([wrong.exitCode, wrong.stdout.trim()]).toEqual([1, "error: 401 Missing or invalid admin token"]);
  expect(wrong.stdout + wrong.stderr).not.toContain(adminToken);
}, 30_000);

test("users-api without ADMIN_TOKEN starts no admin listener, and its log says so", async () => {
  const port = freePort();
  const plain = await startService("users-api", {
    env: {
      ...usersApiProcessEnv(),
      MONGODB_URI: database.uri,
      AUTH_API_URL: authApi.url,
      INTERNAL_TOKEN: internalToken,
      ADMIN_PORT: String(port),
    },
  });
  try {
    expect(plain.logs().find((line) => String(line.msg).includes("ADMIN_TOKEN"))?.msg).toBe(
      "ADMIN_TOKEN is not set: the admin listener (ADMIN_PORT) is not started",
    );
    expect(
      await fetch(`http://127.0.0.1:${port}/health`).then(
        () => "answered",
        () => "refused",
      ),
    ).toBe("refused");
  } finally {
    await plain.stop();
  }
}, 60_000);
