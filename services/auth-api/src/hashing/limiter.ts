import { serviceUnavailable } from "@accounts/shared";

/**
 * At most `concurrency` tasks run at once; up to `queueLimit` more wait in FIFO order; beyond that `run`
 * rejects at once with a 503 problem carrying Retry-After. Each argon2id hash holds its whole memory
 * cost while it runs, so this bound is what keeps a login flood from exhausting memory.
 * (p-limit and p-queue queue without bound, hence this small semaphore.)
 */
export function createHashLimiter(concurrency: number, queueLimit: number) {
  let running = 0;
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

    async run<T>(task: () => Promise<T>): Promise<T> {
      if (running >= concurrency) {
        if (waiting.length >= queueLimit)
          throw serviceUnavailable("Too many password hashes in progress; retry shortly", 1);
        // The releasing task hands its slot over directly, so `running` stays counted.
        await new Promise<void>((resolve) => waiting.push(resolve));
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
