// Keyed by the Request itself, as request ids are: onRequest starts the clock before routing, so even 404s
// and parse errors get a duration.
const startedAt = new WeakMap<Request, number>();

/** Starts timing `request`. */
export function startTiming(request: Request): void {
  startedAt.set(request, performance.now());
}

/** Milliseconds since `startTiming` saw `request` (0 for a request it never saw). */
export function elapsedMs(request: Request): number {
  const start = startedAt.get(request);
  return start === undefined ? 0 : performance.now() - start;
}
