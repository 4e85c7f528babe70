// The bench end to end in its quick mode (1 s per run, 100 accounts): it still starts both systems, runs every
// phase and writes a report with every section. Not a timed assertion: the numbers are whatever the machine gives.
import { expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

test("bun bench/src/main.ts --quick runs every phase and writes every section", async () => {
  const results = mkdtempSync(join(tmpdir(), "bench-smoke-"));
  try {
    // A database of its own on the suite's server (`bun run test` sets MONGODB_URI), or a FerretDB of its own.
    const env = { ...process.env };
    if (env.MONGODB_URI) env.MONGODB_URI = withDatabase(env.MONGODB_URI, `bench_smoke_${Date.now().toString(36)}`);
    const bench = Bun.spawn(["bun", join(import.meta.dir, "../src/main.ts"), "--quick", "--results", results], {
      env,
      stdout: "ignore",
      stderr: "inherit",
    });
    expect(await bench.exited).toBe(0);
    expect(readdirSync(results).filter((file) => file.startsWith("latest."))).toEqual(["latest.json", "latest.md"]);
    const markdown = readFileSync(join(results, "latest.md"), "utf8");
    const headings = [...markdown.matchAll(/^#{1,3} (.+)$/gm)].map((match) => match[1]!.replace(/ \d.*$/, ""));
    expect(headings).toEqual([
      "Benchmark",
      "Targets",
      "Sign-up and login against the hashing limit",
      "GET /user against GET /health",
      "GET /user and POST /refresh against the database's own rate",
      "Past capacity: login flood from",
      "A throttled login:",
      "Against Better Auth",
      "Each hash alone",
      "Flows",
      "How much of the difference is the hash",
      "Growth:",
    ]);
    const json = JSON.parse(readFileSync(join(results, "latest.json"), "utf8"));
    expect(Object.keys(json)).toEqual([
      "startedAt",
      "machine",
      "settings",
      "signUp",
      "logIn",
      "getUser",
      "refresh",
      "databaseLimit",
      "health",
      "throttled",
      "overload",
      "peer",
      "growth",
    ]);
    // Every throttled login was the per-account rule's 429, and none reached auth-api's hashing.
    const throttled = json.throttled.load.statuses;
    expect(Object.keys(throttled)).toEqual(["429"]);
    expect(json.throttled.byAccountRule).toBeGreaterThanOrEqual(throttled["429"]);
    expect(json.throttled.byOtherRules).toBe(0);
    expect(json.throttled.hashRequests).toBe(0);
    expect(json.overload.accounts).toBe(300);
    expect(json.growth.accounts).toBe(100);
    expect(json.growth.grown.documents - json.growth.empty.documents).toBe(100);
    // The seeded sessions, and those the empty database's logins opened.
    expect(json.growth.sessionsPerAccount).toBe(3);
    expect(json.growth.grown.sessions - json.growth.empty.sessions).toBeGreaterThanOrEqual(300);
  } finally {
    rmSync(results, { recursive: true, force: true });
  }
}, 600_000);

function withDatabase(uri: string, name: string): string {
  const url = new URL(uri);
  url.pathname = `/${name}`;
  return url.toString();
}
