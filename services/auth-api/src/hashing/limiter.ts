import { serviceUnavailable } from "@accounts/shared";

/**
 * At most `concurrency` tasks run at once; up to `queueLimit` more wait in FIFO order; beyond that `run`
 * rejects at once with a 503 problem carrying Retry-After. Each argon2id hash holds its whole memory
 * cost while it runs, so this bound is what keeps a login flood from exhausting memory.
 * (p-limit and p-queue queue without bound, hence this small semaphore.)
 */
export class HashLimiter {
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(
    readonly concurrency: number,
    readonly queueLimit: number,
  ) {}

  get inFlight() {
    return this.#running;
  }

  get queued() {
    return this.#waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.concurrency) {
      if (this.#waiting.length >= this.queueLimit)
        throw serviceUnavailable("Too many password hashes in progress; retry shortly", 1);
      // The releasing task hands its slot over directly, so #running stays counted.
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }
}
