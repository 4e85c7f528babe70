import type { HashLimit } from "./hash-limit.ts";
import type { HashLimitRun } from "./report.ts";
import { watchForeignCpu } from "./cpu.ts";

/**
 * Runs a hashing-limit script (ours: hash-limit.ts; the peer's: peer/hash-limit.ts) in its own process, so
 * neither the services nor the load generator share its event loop, and reads the JSON line it prints.
 */
export async function runHashLimit(script: string, args: readonly string[]): Promise<HashLimitRun> {
  const foreignCpu = watchForeignCpu();
  const child = Bun.spawn(["bun", script, ...args], { stdout: "pipe", stderr: "inherit" });
  const [output, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
  if (code !== 0) throw new Error(`${script} exited with code ${code}`);
  const { perSecond, cpuMsPerOperation } = JSON.parse(output) as HashLimit;
  return { perSecond, cpuMsPerOperation, foreignCpu: foreignCpu() };
}
