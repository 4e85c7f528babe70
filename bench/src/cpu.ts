import { readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";

// /proc counts CPU time in clock ticks of 1/100 s (USER_HZ, 100 on every Linux build we run on).
const TICKS_PER_SECOND = 100;

/** CPU time every core spent busy (not idle, not waiting for I/O), steal included: that was not ours either. */
function machineBusyTicks(): number {
  const fields = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = fields as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return user + nice + system + irq + softirq + steal;
}

interface ProcessStat {
  parent: number;
  /** User and system time of the process itself. */
  ownTicks: number;
  /** The same for its children already reaped, which the kernel adds to the parent. */
  reapedTicks: number;
}

function processStat(pid: number): ProcessStat | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined; // gone
  }
  // Fields after the command name, which may itself contain spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number) as [number, number, number, number];
  return { parent: Number(fields[1]), ownTicks: utime + stime, reapedTicks: cutime + cstime };
}

/** CPU seconds a process has used so far (0 once it is gone). */
export const processCpuSeconds = (pid: number) => (processStat(pid)?.ownTicks ?? 0) / TICKS_PER_SECOND;

/** CPU time of this process and all its descendants: services, database, hashing-limit runs. */
function ownTreeTicks(): number {
  const stats = new Map<number, ProcessStat>();
  for (const entry of readdirSync("/proc")) {
    const stat = /^\d+$/.test(entry) ? processStat(Number(entry)) : undefined;
    if (stat) stats.set(Number(entry), stat);
  }
  const isOurs = (pid: number): boolean => {
    for (let current = pid; current > 1; current = stats.get(current)?.parent ?? 0)
      if (current === process.pid) return true;
    return false;
  };
  let total = 0;
  for (const [pid, { ownTicks, reapedTicks }] of stats) if (isOurs(pid)) total += ownTicks + reapedTicks;
  return total;
}

/** CPU seconds the system under test has used so far: the services and the database, not the load generator. */
export const systemCpuSeconds = () => (ownTreeTicks() - (processStat(process.pid)?.ownTicks ?? 0)) / TICKS_PER_SECOND;

/**
 * Starts watching the machine's CPU; the returned function gives the share of all cores that processes
 * outside the benchmark used meanwhile. The machine may be shared: this says how much a run's numbers
 * were squeezed by other work.
 */
export function watchForeignCpu(): () => number {
  const start = { at: performance.now(), busy: machineBusyTicks(), ours: ownTreeTicks() };
  return () => {
    const seconds = (performance.now() - start.at) / 1000;
    const foreignTicks = machineBusyTicks() - start.busy - (ownTreeTicks() - start.ours);
    return Math.max(0, foreignTicks / TICKS_PER_SECOND / (seconds * availableParallelism()));
  };
}
