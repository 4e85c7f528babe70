import { readFileSync } from "node:fs";

/** Resident memory of one process over a load run, in MiB. */
export interface RssSummary {
  peak: number;
  /**
   * Highest sample in the first and in the second half of the run: about equal when memory stayed flat.
   * Peaks, not means: every argon2id hash allocates and frees its whole memory cost, so RSS swings by that
   * much from one sample to the next, and only the peaks compare like with like.
   */
  firstHalfPeak: number;
  secondHalfPeak: number;
  samples: number;
}

const rssMiB = (pid: number): number | undefined => {
  try {
    const kib = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kib === undefined ? undefined : Number(kib) / 1024;
  } catch {
    return undefined; // the process is gone
  }
};

/** Summarises RSS samples; undefined without any. */
export function summarizeRss(samples: readonly number[]): RssSummary | undefined {
  if (samples.length === 0) return undefined;
  const half = Math.ceil(samples.length / 2);
  return {
    peak: Math.max(...samples),
    firstHalfPeak: Math.max(...samples.slice(0, half)),
    secondHalfPeak: Math.max(...samples.slice(-half)),
    samples: samples.length,
  };
}

/**
 * Samples each process's RSS from /proc every `intervalMs` (Linux only) until the returned function is
 * called, which gives each process's summary. Sampling is a file read per process: it costs the measured
 * processes nothing.
 */
export function sampleRss<Name extends string>(pids: Record<Name, number>, intervalMs = 100) {
  const samples = Object.fromEntries(Object.keys(pids).map((name) => [name, [] as number[]])) as Record<Name, number[]>;
  const sample = () => {
    for (const name of Object.keys(pids) as Name[]) {
      const value = rssMiB(pids[name]);
      if (value !== undefined) samples[name].push(value);
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return () => {
    clearInterval(timer);
    sample();
    return Object.fromEntries(
      Object.entries<number[]>(samples).map(([name, values]) => [name, summarizeRss(values)]),
    ) as Record<Name, RssSummary | undefined>;
  };
}
