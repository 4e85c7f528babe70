import { AuthUnavailableError } from "../problems.ts";

/**
 * How long a sign-up, login or password change waits for a free hashing slot before its 503, as a load balancer's
 * queue timeout (HAProxy's `timeout queue`) does: long enough for auth-api to finish several hashes, short against a
 * person's patience. Waiting, not refusing at once, is what keeps a flood from many connections cheap: a client that
 * sends again as soon as it is refused would otherwise be refused thousands of times a second, and those refusals
 * took the CPU the hashes needed.
 */
export const ADMISSION_WAIT_MS = 500;

/** Requests that may wait for a slot at once (a promise and a timer each); past them a request is refused at once. */
export const ADMISSION_QUEUE_LIMIT = 256;

/**
 * Admission before work: the password hashes and checks this replica let through that auth-api has not answered
 * yet, and how many of them auth-api holds (in flight or queued), learned from its 503 when its queue is full. Past
 * that many, a request waits (oldest first) until one is answered, or ADMISSION_WAIT_MS, before any database read:
 * auth-api's queue stays full, so it hashes at its full rate. Answers while at the capacity raise it by one per
 * capacity's worth of them (one probe per round, not one per answer), so it follows auth-api when that grows.
 */
export function createHashingAdmission() {
  let pending = 0;
  let capacity = Number.POSITIVE_INFINITY;
  const waiting: (() => void)[] = [];
  const full = () => new AuthUnavailableError("hash queue full", 1);

  /** Lets the oldest waiting in while there is room. */
  const letIn = () => {
    while (waiting.length > 0 && pending < Math.floor(capacity)) {
      pending++;
      waiting.shift()!();
    }
  };

  const slot = (): Disposable => {
    let released = false;
    return {
      [Symbol.dispose]() {
        if (released) return;
        released = true;
        pending--;
        letIn();
      },
    };
  };

  return {
    /** A slot, to release (`using`) once auth-api has answered; 503 when none frees up in time. */
    async admit(): Promise<Disposable> {
      if (waiting.length === 0 && pending < Math.floor(capacity)) {
        pending++;
        return slot();
      }
      if (waiting.length >= ADMISSION_QUEUE_LIMIT) throw full();
      await new Promise<void>((resolve, reject) => {
        const admitted = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiting.splice(waiting.indexOf(admitted), 1);
          reject(full());
        }, ADMISSION_WAIT_MS);
        waiting.push(admitted);
      });
      return slot();
    },

    /** Learns from each answer to a hashing call: a full queue sets the capacity; an answer at it probes one more. */
    learn(response: Response): void {
      if (response.status === 503 && response.headers.has("retry-after")) capacity = Math.max(1, pending - 1);
      else if (pending >= Math.floor(capacity)) {
        capacity += 1 / capacity;
        letIn();
      }
    },
  };
}
