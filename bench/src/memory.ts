import { readFileSync } from "node:fs";

/** Resident memory of one process over a load run, in MiB. */
export interface RssSummary {
  peak: number;
  /** Mean of the first and of the last quarter of the samples: equal when memory stayed flat. */
  firstQuarter: number;
  lastQuarter: number;
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
  const quarter = Math.max(1, Math.floor(samples.length / 4));
  const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
  return {
    peak: Math.max(...samples),
    firstQuarter: mean(samples.slice(0, quarter)),
    lastQuarter: mean(samples.slice(-quarter)),
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
    return Object.fromEntries(Object.entries<number[]>(samples).map(([name, values]) => [name, summarizeRss(values)])) as Record<Name, RssSummary | undefined>;
  };
}
