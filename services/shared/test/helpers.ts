import { expect } from "bun:test";
import {
  createLogger,
  createMetrics,
  createServiceApp,
  type OperationLink,
  type ReadinessCheck,
} from "../src/index.ts";

/**
 * A logger whose JSON lines land in `lines`, parsed, for asserting what was (not) logged. Test helper for
 * every suite, not exported from the package index. At debug level, so checks for secrets see every line.
 */
export function captureLogger(service = "test") {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(
    { level: "debug", service },
    { write: (line: string) => void lines.push(JSON.parse(line)) },
  );
  return { logger, lines };
}

/**
 * Waits until `condition` holds, checking every few milliseconds, and fails after `timeoutMs`: for what happens after
 * an answer (a request's log line, a mail), never a fixed wait. Answers the condition's last truthy value.
 */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  what: string,
  timeoutMs = 5_000,
): Promise<Exclude<T, false | undefined | null | 0 | "">> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value as Exclude<T, false | undefined | null | 0 | "">;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await Bun.sleep(2);
  }
}

/** The request lines among `lines`, once there are `count` of them: each is logged after its response is handed back. */
export const requestLines = (lines: Record<string, unknown>[], count: number) =>
  waitFor(() => {
    const logged = lines.filter((line) => line.msg === "request");
    return logged.length >= count && logged;
  }, `${count} request log lines`);

/** A bare service app for the shared plugins' tests: a 2 KiB body limit, no checks or links unless given. */
export const testServiceApp = ({
  readiness = {},
  links = [],
}: {
  readiness?: Record<string, ReadinessCheck>;
  links?: OperationLink[];
} = {}) =>
  createServiceApp({
    service: "test",
    config: { PORT: 0, LOG_LEVEL: "info", BODY_LIMIT_BYTES: 2048 },
    logger: captureLogger().logger,
    metrics: createMetrics(),
    readiness,
    documentation: { info: { title: "test", version: "1" } },
    links,
    monotonic: () => performance.now(),
  });

/**
 * Timing that tells no kind apart: logs each kind's median of `samples` (milliseconds) under `label` and expects the
 * slowest median within `ratio` of the fastest.
 */
export function expectMediansWithin(samples: Record<string, number[]>, ratio: number, label = "wrong-password") {
  const median = (values: number[]) => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const medians = Object.entries(samples).map(([kind, ms]) => [kind, median(ms)] as const);
  console.log(`${label} medians: ${medians.map(([kind, ms]) => `${kind} ${ms.toFixed(1)} ms`).join(", ")}`);
  const values = medians.map(([, ms]) => ms);
  expect(Math.max(...values) / Math.min(...values)).toBeLessThan(ratio);
}
