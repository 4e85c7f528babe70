import { readFileSync } from "node:fs";
import { availableParallelism, loadavg, totalmem } from "node:os";

/** Where a run happened: enough to tell whether two result files are comparable. */
export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  bun: string;
  commit: string;
  /** True when the services, the dev scripts or the bench differed from the commit (results then describe uncommitted code). */
  dirty: boolean;
  /** 1-minute load average before the run: other work on a shared machine skews every number. */
  loadAverageBefore: number;
}

export function describeMachine(): Machine {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const git = (...args: string[]) =>
    Bun.spawnSync(["git", ...args])
      .stdout.toString()
      .trim();
  return {
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? "unknown",
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    bun: Bun.version,
    commit: git("rev-parse", "--short", "HEAD"),
    dirty: git("status", "--porcelain", "--", "services", "scripts/dev.ts", "scripts/lib", "bench/src") !== "",
    loadAverageBefore: loadavg()[0]!,
  };
}
