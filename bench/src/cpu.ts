import { readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";

// /proc counts CPU time in clock ticks of 1/100 s (USER_HZ, 100 on every Linux build we run on).
const TICKS_PER_SECOND = 100;

/** CPU time every core spent busy (not idle, not waiting for I/O), steal included: that was not ours either. */
function machineBusyTicks(): number {
  const fields = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = fields as [number, number, number, number, number, number, number, number];
  return user + nice + system + irq + softirq + steal;
}

/**
 * CPU time of this process and all its descendants (services, database, load generator, hashing-limit
 * runs), including children already reaped, which the kernel adds to their parent's cutime/cstime.
 */
function ownTreeTicks(): number {
  const stats = new Map<number, { parent: number; ticks: number }>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited while we looked
    }
    // Fields after the command name, which may itself contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number) as [number, number, number, number];
    stats.set(Number(entry), { parent: Number(fields[1]), ticks: utime + stime + cutime + cstime });
  }
  const isOurs = (pid: number): boolean => {
    for (let current = pid; current > 1; current = stats.get(current)?.parent ?? 0) if (current === process.pid) return true;
    return false;
  };
  let total = 0;
  for (const [pid, { ticks }] of stats) if (isOurs(pid)) total += ticks;
  return total;
}

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
