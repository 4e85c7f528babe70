/** Latency percentiles in milliseconds. */
export interface Latency {
  p50: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles of `samples` (milliseconds); undefined when there are none. */
export function latency(samples: readonly number[]): Latency | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
  return { p50: rank(50), p99: rank(99), max: sorted[sorted.length - 1]! };
}

/** `part / whole`, or undefined when the whole is zero (a ratio to nothing means nothing). */
export const ratio = (part: number, whole: number): number | undefined => (whole > 0 ? part / whole : undefined);
