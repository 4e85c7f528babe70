import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { toolsCacheDir } from "./go-tools.ts";

const toolsDir = resolve(import.meta.dir, "../../tools");

export const hasPython = (): boolean => Bun.which("python3") !== null;

/**
 * A virtual environment holding exactly `tools/<name>/requirements.txt` (every package pinned with its hashes,
 * installed with `--require-hashes`), created once in the same cache as the Go tools, in a folder named after a
 * hash of that file, so a change of pins installs anew. Returns the environment's python: run a tool as
 * `python -m <module>`, since a venv's console scripts name the folder they were installed in, and this one is
 * installed under a temporary name and renamed into place (atomic, as for the Go tools).
 */
export async function ensurePythonTools(name: string): Promise<string> {
  const requirements = join(toolsDir, name, "requirements.txt");
  const digest = createHash("sha256").update(readFileSync(requirements)).digest("hex").slice(0, 12);
  const venvDir = join(toolsCacheDir, `${name}-${digest}`);
  const python = join(venvDir, "bin", "python");
  if (existsSync(python)) return python;

  if (!hasPython()) throw new Error(`installing tools/${name} needs python3 (3.11 or newer) on PATH`);
  const partial = `${venvDir}.partial-${process.pid}`;
  console.error(`installing tools/${name} from PyPI into ${venvDir}: first run only`);
  const run = async (command: string[]) => {
    const child = Bun.spawn(command, { stdout: "inherit", stderr: "inherit" });
    if ((await child.exited) !== 0) {
      rmSync(partial, { recursive: true, force: true });
      throw new Error(`${command.slice(0, 3).join(" ")} … failed while installing tools/${name}`);
    }
  };
  await run(["python3", "-m", "venv", partial]);
  await run([
    join(partial, "bin", "python"),
    "-m",
    "pip",
    "install",
    "--quiet",
    "--disable-pip-version-check",
    "--require-hashes",
    "--no-deps",
    "-r",
    requirements,
  ]);
  try {
    renameSync(partial, venvDir);
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(python)) throw error;
  }
  return python;
}
