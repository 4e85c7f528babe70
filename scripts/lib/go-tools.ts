import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";

const toolsDir = resolve(import.meta.dir, "../../tools");

/** Outside the repository so a fresh clone (and CI on the same machine) reuses earlier builds. */
export const toolsCacheDir = join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "accounts", "tools");

export const hasGo = (): boolean => Bun.which("go") !== null;

/**
 * Builds every `tool` of `tools/<module>/go.mod` once and returns the folder
 * holding the binaries. The folder name carries a hash of the module's files
 * (go.mod, go.sum, any local main package), so a change builds anew and never
 * runs a stale binary.
 */
export async function ensureGoTools(module: string): Promise<string> {
  const moduleDir = join(toolsDir, module);
  const goMod = readFileSync(join(moduleDir, "go.mod"), "utf8");
  const digest = createHash("sha256");
  for (const file of readdirSync(moduleDir).sort()) {
    digest.update(file).update(readFileSync(join(moduleDir, file)));
  }
  const binDir = join(toolsCacheDir, `${module}-${digest.digest("hex").slice(0, 12)}`);
  if (existsSync(binDir)) return binDir;

  if (!hasGo()) throw new Error(`building tools/${module} needs Go on PATH (https://go.dev/dl/)`);
  const packages = [...goMod.matchAll(/^\s*tool\s+(\S+)/gm)].map((match) => match[1]!);
  const partial = `${binDir}.partial-${process.pid}`;
  mkdirSync(partial, { recursive: true });
  console.error(`building tools/${module} (${packages.join(", ")}): first run only, this takes a few minutes`);
  const started = performance.now();
  const build = Bun.spawn(["go", "build", "-trimpath", "-o", `${partial}/`, ...packages], {
    cwd: moduleDir,
    env: { ...process.env, CGO_ENABLED: "0", GOFLAGS: "-mod=readonly" },
    stdout: "inherit",
    stderr: "inherit",
  });
  if ((await build.exited) !== 0) {
    rmSync(partial, { recursive: true, force: true });
    throw new Error(`go build in tools/${module} failed`);
  }
  // A rename is atomic: a concurrent or interrupted build never leaves a half-written folder behind.
  try {
    renameSync(partial, binDir);
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(binDir)) throw error;
  }
  console.error(`built tools/${module} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return binDir;
}

/** Every module under tools/, for building them all before a test run rather than under a test's timeout. */
export const goToolModules = (): string[] =>
  readdirSync(toolsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(toolsDir, entry.name, "go.mod")))
    .map((entry) => entry.name);
