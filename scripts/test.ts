// `bun run test`: the whole suite against a real database. Uses MONGODB_URI when
// set (CI's mongo:7); otherwise starts FerretDB for the run and removes it after.
// Go tools are built and Schemathesis installed first, so a first-time build never runs under a test's timeout.
// `bun run test:fast` (`--fast`): only the suites lib/fast-tests.ts lists, which need none of that, so nothing is
// built, installed or started. Other arguments go to `bun test` (`-t <name>`, a file, `--seed=N`).
import { FAST_TESTS } from "./lib/fast-tests.ts";
import { ensureGoTools, goToolModules, hasGo } from "./lib/go-tools.ts";
import { ensurePythonTools, hasPython } from "./lib/python-tools.ts";
import { startFerretDB, type LocalDatabase } from "./lib/ferretdb.ts";

const fast = process.argv.includes("--fast");
// Every test must pass in any order, so every run takes a new one; Bun prints it as `--seed=N`, which repeats it.
const args = ["--randomize", ...process.argv.slice(2).filter((arg) => arg !== "--fast")];

if (fast) {
  const tests = Bun.spawn(["bun", "test", ...FAST_TESTS, ...args], {
    stdio: ["inherit", "inherit", "inherit"],
  });
  process.exit(await tests.exited);
}

if (hasGo()) {
  for (const module of goToolModules()) await ensureGoTools(module);
} else if (process.env.CI) {
  throw new Error("CI needs Go to build the test tools (tools/README.md)");
} else {
  console.error("Go is not installed: suites that need a Kubernetes API server or kube-score will be skipped");
}

if (hasPython()) {
  await ensurePythonTools("schemathesis");
} else if (process.env.CI) {
  throw new Error("CI needs python3 to install Schemathesis for the fuzzing suite (tools/README.md)");
} else {
  console.error("python3 is not installed: the fuzzing suite will be skipped");
}

let database: LocalDatabase | undefined;
if (!process.env.MONGODB_URI) {
  database = await startFerretDB();
  process.env.MONGODB_URI = database.uri;
}

const tests = Bun.spawn(["bun", "test", ...args], {
  stdio: ["inherit", "inherit", "inherit"],
  env: process.env,
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => tests.kill(signal));
}
const exitCode = await tests.exited;
await database?.stop();
process.exit(exitCode);
