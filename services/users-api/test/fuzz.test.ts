// Property-based fuzzing of every operation both services document: Schemathesis reads each service's own
// /swagger/json and generates requests from it (valid and invalid ones, chains along the documented links),
// against both services running as real processes on a real database. Routes added later are fuzzed with no
// change here, since the operations come from the documents. Here rather than in one service's tests because it
// covers both; it lives under services/ so `bun run test services` runs it.
import { usersApiProcessEnv } from "./support.ts";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasPython, ensurePythonTools } from "@accounts/scripts/lib/python-tools";
import { generateSigningKey } from "@accounts/auth-api/keys/generate";
import { generateInternalToken } from "@accounts/shared/secrets";
import { startService, type RunningService } from "@accounts/scripts/lib/processes";
import { processDatabase } from "./process-database.ts";
import { schemathesisArguments } from "./fuzz/schemathesis.ts";

// Locally, without python3, Schemathesis cannot be installed: skip. In CI that is a broken set-up: fail.
const runnable = hasPython() || Boolean(process.env.CI);

const internalToken = generateInternalToken();
let python: string;
let authApi: RunningService;
let usersApi: RunningService;
let database: Awaited<ReturnType<typeof processDatabase>>;
/** users-api again, on a database of its own, for the stateful chains alone (see schemathesisArguments). */
let chainsApi: RunningService;
let chainsDatabase: Awaited<ReturnType<typeof processDatabase>>;

beforeAll(async () => {
  if (!runnable) return;
  python = await ensurePythonTools("schemathesis");
  database = await processDatabase("users_fuzz");
  chainsDatabase = await processDatabase("users_fuzz_chains");
  authApi = await startService("auth-api", {
    env: {
      INTERNAL_TOKEN: internalToken,
      JWT_SIGNING_KEY: JSON.stringify((await generateSigningKey()).privateJwk),
    },
  });
  const usersApiOn = (uri: string) =>
    startService("users-api", {
      env: { ...usersApiProcessEnv(), MONGODB_URI: uri, AUTH_API_URL: authApi.url, INTERNAL_TOKEN: internalToken },
    });
  [usersApi, chainsApi] = await Promise.all([usersApiOn(database.uri), usersApiOn(chainsDatabase.uri)]);
}, 60_000);

afterAll(async () => {
  if (!runnable) return;
  await usersApi?.stop();
  await chainsApi?.stop();
  await authApi?.stop();
  await database?.drop();
  await chainsDatabase?.drop();
});

/** Runs Schemathesis against one document; resolves its exit code and whole report. */
async function fuzz(documentUrl: string, headers: Record<string, string> = {}, phases?: string) {
  // Schemathesis keeps a cache of what it found in its working directory: a throw-away one, not the repository.
  const workDir = mkdtempSync(join(tmpdir(), "accounts-fuzz-"));
  const child = Bun.spawn([python, "-m", "schemathesis.cli", ...schemathesisArguments(documentUrl, headers, phases)], {
    cwd: workDir,
    stdout: "pipe",
    stderr: "pipe",
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", NO_COLOR: "1" },
  });
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  rmSync(workDir, { recursive: true, force: true });
  const report = `${stdout}\n${stderr}`;
  // The report is the evidence: print it when Schemathesis failed, so the failures read in the test output.
  if (exitCode !== 0 || process.env.FUZZ_REPORT) console.error(report);
  return { exitCode, report };
}

/** The summary says as many operations were tested as the document has: none was skipped or left out. */
function expectEveryOperationTested(report: string) {
  const selected = /Selected: (\d+)\/(\d+)/.exec(report);
  const tested = /Tested: (\d+)/.exec(report);
  expect(selected?.[1]).toBe(selected?.[2]);
  expect(tested?.[1]).toBe(selected?.[2]);
  expect(Number(tested?.[1])).toBeGreaterThan(0);
}

/**
 * The stateful phase took up every link the document declares and followed some (which ones, in 25 cases, is
 * chance; FUZZ_EXAMPLES raises it). Only where a chain can start: without the credential no hash is made.
 */
function expectLinksFollowed(report: string) {
  const links = /API Links:\s+(\d+) covered \/ (\d+) selected \/ (\d+) total/.exec(report);
  const [covered, selected, total] = (links?.slice(1) ?? []).map(Number);
  expect(selected).toBe(total!);
  expect(total).toBeGreaterThan(0);
  expect(covered).toBeGreaterThan(0);
}

const FUZZ_TIMEOUT_MS = 600_000;

describe.skipIf(!runnable)("Schemathesis finds nothing", () => {
  test(
    "users-api: every operation, positive and negative",
    async () => {
      const { exitCode, report } = await fuzz(`${usersApi.url}/swagger/json`, {}, "examples,coverage,fuzzing");
      expect(exitCode).toBe(0);
      expectEveryOperationTested(report);
    },
    FUZZ_TIMEOUT_MS,
  );

  test(
    "users-api: stateful chains along the links, on a database of their own",
    async () => {
      const { exitCode, report } = await fuzz(`${chainsApi.url}/swagger/json`, {}, "stateful");
      expect(exitCode).toBe(0);
      expectLinksFollowed(report);
    },
    FUZZ_TIMEOUT_MS,
  );

  test(
    "auth-api with its internal credential",
    async () => {
      const { exitCode, report } = await fuzz(`${authApi.url}/swagger/json`, {
        Authorization: `Bearer ${internalToken}`,
      });
      expect(exitCode).toBe(0);
      expectEveryOperationTested(report);
      expectLinksFollowed(report);
    },
    FUZZ_TIMEOUT_MS,
  );

  test(
    "auth-api without a credential",
    async () => {
      const { exitCode, report } = await fuzz(`${authApi.url}/swagger/json`);
      expect(exitCode).toBe(0);
      expectEveryOperationTested(report);
    },
    FUZZ_TIMEOUT_MS,
  );
});
