import { processCpuSeconds, systemCpuSeconds } from "./cpu.ts";
import type { LoadResult } from "./load.ts";
import { type RssSummary, sampleRss } from "./memory.ts";
import { ratio } from "./stats.ts";

/** A load run and what each named process used meanwhile. */
export interface Observed<Name extends string> {
  load: LoadResult;
  rss: Record<Name, RssSummary | undefined>;
  /**
   * CPU milliseconds per response (of any status): each process's, and the whole system's (every process the
   * bench started: services, peer, database; not the load generator). Idle processes add next to nothing.
   */
  cpuMsPerResponse: Record<Name | "system", number | undefined>;
}

/** Runs `run` with each process's memory sampled and its CPU time per response counted. */
export async function observeProcesses<Name extends string>(
  pids: Record<Name, number>,
  run: () => Promise<LoadResult>,
): Promise<Observed<Name>> {
  const names = Object.keys(pids) as Name[];
  const cpuSeconds = () => ({
    ...(Object.fromEntries(names.map((name) => [name, processCpuSeconds(pids[name])])) as Record<Name, number>),
    system: systemCpuSeconds(),
  });
  const stopSampling = sampleRss(pids);
  const before = cpuSeconds();
  const load = await run();
  const after = cpuSeconds();
  const responses = Object.values(load.statuses).reduce((sum, count) => sum + count, 0);
  const cpuMsPerResponse = Object.fromEntries(
    [...names, "system" as const].map((part) => [part, ratio((after[part] - before[part]) * 1000, responses)]),
  ) as Record<Name | "system", number | undefined>;
  return { load, rss: stopSampling(), cpuMsPerResponse };
}
