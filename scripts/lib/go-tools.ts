import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
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
  const env = { ...process.env, CGO_ENABLED: "0", GOFLAGS: "-mod=readonly" };
  const sources = `${partial}-sources`;
  try {
    const modFile = await patchedModFile(moduleDir, sources, env);
    const build = Bun.spawn(
      ["go", "build", "-trimpath", ...(modFile ? [`-modfile=${modFile}`] : []), "-o", `${partial}/`, ...packages],
      { cwd: moduleDir, env, stdout: "inherit", stderr: "inherit" },
    );
    if ((await build.exited) !== 0) throw new Error(`go build in tools/${module} failed`);
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    throw error;
  } finally {
    rmSync(sources, { recursive: true, force: true });
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

/**
 * A fix we carry in a dependency: `tools/<module>/<module path, "+" for "/">.patch` (say, `github.com+FerretDB+FerretDB.patch`)
 * is applied with `patch -p1` to a copy of that module's source, as the Go module proxy serves the version go.mod
 * pins, and the build replaces the module with the copy through a go.mod of its own (`-modfile`), so tools/ keeps
 * only the patch and go.sum still checks everything else. Answers that go.mod, or nothing without a patch.
 */
async function patchedModFile(moduleDir: string, sources: string, env: Record<string, string | undefined>) {
  const patches = readdirSync(moduleDir).filter((file) => file.endsWith(".patch"));
  if (patches.length === 0) return undefined;
  const run = async (command: string[], cwd = moduleDir) => {
    const child = Bun.spawn(command, { cwd, env, stdout: "pipe", stderr: "inherit" });
    const output = await new Response(child.stdout).text();
    if ((await child.exited) !== 0) throw new Error(`${command.join(" ")} failed`);
    return output;
  };
  const replaces: string[] = [];
  for (const file of patches) {
    const modulePath = file.slice(0, -".patch".length).replaceAll("+", "/");
    const { Dir } = JSON.parse(await run(["go", "mod", "download", "-json", modulePath])) as { Dir: string };
    const copy = join(sources, file.slice(0, -".patch".length));
    mkdirSync(sources, { recursive: true });
    cpSync(Dir, copy, { recursive: true });
    // The module cache is read-only.
    await run(["chmod", "-R", "u+w", copy]);
    await run(["patch", "-p1", "--forward", "--input", join(moduleDir, file)], copy);
    replaces.push(`replace ${modulePath} => ${copy}`);
  }
  const modFile = join(sources, "go.mod");
  writeFileSync(modFile, `${readFileSync(join(moduleDir, "go.mod"), "utf8")}\n${replaces.join("\n")}\n`);
  cpSync(join(moduleDir, "go.sum"), join(sources, "go.sum"));
  return modFile;
}

/** Every module under tools/, for building them all before a test run rather than under a test's timeout. */
export const goToolModules = (): string[] =>
  readdirSync(toolsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(toolsDir, entry.name, "go.mod")))
    .map((entry) => entry.name);
