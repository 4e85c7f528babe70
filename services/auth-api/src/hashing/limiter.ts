import { hashQueueFull } from "../problems.ts";

/**
 * At most `concurrency` tasks run at once; up to `queueLimit` more wait in FIFO order; beyond that `run`
 * rejects at once with a 503 problem carrying Retry-After. Each argon2id hash holds its whole memory
 * cost while it runs, so this bound is what keeps a login flood from exhausting memory.
 * (p-limit and p-queue queue without bound, hence this small semaphore.)
 *
 * A task whose `signal` aborts before it starts (its caller has gone) never runs: it leaves the queue at
 * once and `run` rejects with the signal's reason, so a slot is not spent on an answer nobody will read.
 * Once started a task runs to the end, whatever the signal does: argon2 in Bun cannot be cancelled.
 */
export function createHashLimiter(concurrency: number, queueLimit: number) {
  let running = 0;
  let abandoned = 0;
  const waiting: (() => void)[] = [];
  return {
    concurrency,
    queueLimit,

    get inFlight() {
      return running;
    },

    get queued() {
      return waiting.length;
    },

    /** Tasks dropped unrun because their signal aborted, since the limiter was made. */
    get abandoned() {
      return abandoned;
    },

    async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
      if (signal?.aborted) {
        abandoned++;
        throw signal.reason;
      }
      if (running >= concurrency) {
        if (waiting.length >= queueLimit) throw hashQueueFull();
        // The releasing task hands its slot over directly, so `running` stays counted.
        await new Promise<void>((resolve, reject) => {
          const leave = () => {
            waiting.splice(waiting.indexOf(start), 1);
            abandoned++;
            reject(signal?.reason);
          };
          // Detached at the hand-over: `start` has left the queue by then, and a later abort must not splice out another task.
          const start = () => {
            signal?.removeEventListener("abort", leave);
            resolve();
          };
          waiting.push(start);
          signal?.addEventListener("abort", leave, { once: true });
        });
      } else {
        running++;
      }
      try {
        return await task();
      } finally {
        const next = waiting.shift();
        if (next) next();
        else running--;
      }
    },
  };
}

export type HashLimiter = ReturnType<typeof createHashLimiter>;
