/**
 * Request durations, read from `monotonic` (milliseconds that never go back: performance.now where the service runs).
 * Keyed by the Request itself, as request ids are: onRequest starts the clock before routing, so even 404s and parse
 * errors get a duration.
 */
export function createRequestTimer(monotonic: () => number) {
  const startedAt = new WeakMap<Request, number>();
  return {
    /** Starts timing `request`. */
    start(request: Request): void {
      startedAt.set(request, monotonic());
    },
    /** Milliseconds since `start` saw `request` (0 for a request it never saw). */
    elapsedMs(request: Request): number {
      const start = startedAt.get(request);
      return start === undefined ? 0 : monotonic() - start;
    },
  };
}
