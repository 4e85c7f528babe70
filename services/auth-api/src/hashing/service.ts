import { randomBytes } from "node:crypto";
import { HASH_QUEUE_PER_SLOT } from "@accounts/shared/limits";
import type { AuthConfig } from "../config.ts";
import { createHashLimiter, type HashLimiter } from "./limiter.ts";

/** argon2id cost: memory in KiB and number of passes. */
export interface HashCost {
  memoryKiB: number;
  timeCost: number;
}

const ARGON2ID = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=\d+\$/;
const BCRYPT = /^\$2[aby]\$/;

// The seed's bcrypt libraries hashed only a password's first 72 bytes; Bun pre-hashes longer ones with
// SHA-512 instead, so long seed-era passwords must be cut the way they were when hashed.
const bcryptInput = (password: string, hash: string) =>
  BCRYPT.test(hash) ? Buffer.from(password).subarray(0, 72) : password;

/**
 * Password hashing with argon2id through Bun.password (async: it runs on Bun's thread pool), every hash
 * and verify bounded by `limiter`. Makes its dummy hash at the configured cost first: verified against when
 * a user does not exist, so that costs what a wrong password costs.
 */
export async function createPasswordHasher(cost: HashCost, limiter: HashLimiter) {
  const options = { algorithm: "argon2id" as const, memoryCost: cost.memoryKiB, timeCost: cost.timeCost };
  const dummyHash = await Bun.password.hash(randomBytes(32).toString("base64url"), options);

  /** True for bcrypt and for argon2 hashes that are not argon2id at least as costly as configured. */
  const needsRehash = (storedHash: string) => {
    if (BCRYPT.test(storedHash)) return true;
    const match = ARGON2ID.exec(storedHash);
    if (!match) return true;
    return Number(match[1]) < cost.memoryKiB || Number(match[2]) < cost.timeCost;
  };

  // How long a wrong password takes against the floor hash users-api names, measured once (it names one at a time).
  let floor: { hash: string; ms: Promise<number> } | undefined;
  const durationOf = (hash: string, signal?: AbortSignal) => {
    if (floor?.hash !== hash) {
      const ms = limiter.run(async () => {
        const started = performance.now();
        await Bun.password.verify(randomBytes(16).toString("base64url"), hash).catch(() => false);
        return performance.now() - started;
      }, signal);
      floor = { hash, ms };
      // A measurement that was refused (queue full, caller gone) is made again by the next check.
      ms.catch(() => {
        if (floor?.ms === ms) floor = undefined;
      });
    }
    return floor.ms;
  };

  return {
    /** Bounds concurrent hashes; its counts feed the in-flight and queued gauges. */
    limiter,

    /** A fresh argon2id hash of `password` at the configured cost; not made if `signal` aborts while it waits. */
    hash(password: string, signal?: AbortSignal): Promise<string> {
      return limiter.run(() => Bun.password.hash(password, options), signal);
    },

    /**
     * Checks `password` against `storedHash` (argon2 or bcrypt); without a stored hash it checks the dummy
     * and fails. On success with a hash weaker than the configured cost, also returns a fresh one. Not checked
     * if `signal` aborts while it waits. A failed check lasts at least as long as one against `timingFloorHash`
     * (the costliest kind of hash stored, which users-api names while seed-era bcrypt hashes remain), by waiting,
     * not hashing: a wrong password for an unknown address, an argon2id account and a bcrypt one look alike.
     */
    async check(
      password: string,
      storedHash: string | undefined,
      signal?: AbortSignal,
      timingFloorHash?: string,
    ): Promise<{ ok: boolean; rehashed?: string }> {
      // One limiter slot covers verify and rehash, so a verified login is never refused halfway for a full queue.
      const { ok, rehashed, verifyMs } = await limiter.run(async () => {
        const hash = storedHash ?? dummyHash;
        const started = performance.now();
        // A malformed stored hash makes verify throw; it simply does not match.
        const matches = await Bun.password.verify(bcryptInput(password, hash), hash).catch(() => false);
        const verifyMs = performance.now() - started;
        if (storedHash === undefined || !matches) return { ok: false, verifyMs };
        if (!needsRehash(storedHash)) return { ok: true, verifyMs };
        return { ok: true, rehashed: await Bun.password.hash(password, options), verifyMs };
      }, signal);
      if (!ok && timingFloorHash !== undefined) {
        const left = (await durationOf(timingFloorHash, signal)) - verifyMs;
        if (left > 0) await Bun.sleep(left);
      }
      return rehashed === undefined ? { ok } : { ok, rehashed };
    },
  };
}

export type PasswordHasher = Awaited<ReturnType<typeof createPasswordHasher>>;

/** The hasher auth-api runs with: cost and bounds from config, queue limit defaulting to HASH_QUEUE_PER_SLOT per slot. */
export const createHasher = (
  config: Pick<AuthConfig, "HASH_MEMORY_KIB" | "HASH_TIME_COST" | "HASH_CONCURRENCY" | "HASH_QUEUE_LIMIT">,
) =>
  createPasswordHasher(
    { memoryKiB: config.HASH_MEMORY_KIB, timeCost: config.HASH_TIME_COST },
    createHashLimiter(
      config.HASH_CONCURRENCY,
      config.HASH_QUEUE_LIMIT ?? HASH_QUEUE_PER_SLOT * config.HASH_CONCURRENCY,
    ),
  );
