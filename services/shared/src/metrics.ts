import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * Prometheus metrics of one app (prom-client: the de facto Prometheus client for Node/Bun). Each app gets
 * its own registry rather than the global one, so several apps can live in one test process.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: "http_requests_total",
    help: "HTTP requests answered, by method, route pattern and status",
    labelNames: ["method", "route", "status"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "http_request_duration_seconds",
    help: "Time from request received to response ready, by method, route pattern and status class (2xx, 4xx…)",
    // The class, not the status: enough to see refusals' (429, 503) latency apart from served requests'.
    labelNames: ["method", "route", "status_class"] as const,
    // Reaches past a second because an argon2id hash under load queues for a while.
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return {
    registry,
    /** Counts one answered request. */
    observeRequest(method: string, route: string, status: number, seconds: number) {
      requests.inc({ method, route, status });
      duration.observe({ method, route, status_class: `${Math.floor(status / 100)}xx` }, seconds);
    },
    /** Registers a counter; the function it returns counts `by` events (default 1) with the given labels. */
    counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []) {
      const counter = new Counter({ name, help, labelNames, registers: [registry] });
      return (labels: Record<L, string> = {} as Record<L, string>, by = 1) => counter.inc(labels, by);
    },
    /** Registers a counter whose total `read` returns at scrape time, for a count kept where no metrics are at hand. */
    counterReading(name: string, help: string, read: () => number) {
      new Counter({
        name,
        help,
        registers: [registry],
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    },
    /** Registers a gauge whose value `read` returns at scrape time. */
    gauge(name: string, help: string, read: () => number) {
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(read());
        },
      });
    },
  };
}

/** The metrics of one app, as `createMetrics` returns them. */
export type Metrics = ReturnType<typeof createMetrics>;
