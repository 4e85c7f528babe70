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

/** How many recent checks at the configured cost tell what one costs now. */
const RECENT_CHECKS = 15;
/** Pairs of checks, the floor hash's and the dummy's in turn, that cost the floor against the configured cost. */
const FLOOR_PAIRS = 3;

const median = (values: number[]) => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const randomPassword = () => randomBytes(16).toString("base64url");

/**
 * Password hashing with argon2id through Bun.password (async: it runs on Bun's thread pool), every hash
 * and verify bounded by `limiter`. Makes its dummy hash at the configured cost first: verified against when
 * a user does not exist, so that costs what a wrong password costs. `monotonic` (milliseconds, never going back)
 * times the checks that the waits are made of.
 */
export async function createPasswordHasher(cost: HashCost, limiter: HashLimiter, monotonic: () => number) {
  /** One verify and how long it took. A malformed stored hash makes verify throw; it simply does not match. */
  const timedVerify = async (password: string, hash: string) => {
    const started = monotonic();
    const matches = await Bun.password.verify(bcryptInput(password, hash), hash).catch(() => false);
    return { matches, ms: monotonic() - started };
  };
  const options = { algorithm: "argon2id" as const, memoryCost: cost.memoryKiB, timeCost: cost.timeCost };
  const dummyHash = await Bun.password.hash(randomBytes(32).toString("base64url"), options);

  /** True for bcrypt and for argon2 hashes that are not argon2id at least as costly as configured. */
  const needsRehash = (storedHash: string) => {
    if (BCRYPT.test(storedHash)) return true;
    const match = ARGON2ID.exec(storedHash);
    if (!match) return true;
    return Number(match[1]) < cost.memoryKiB || Number(match[2]) < cost.timeCost;
  };
  const atConfiguredCost = (hash: string) => {
    const match = ARGON2ID.exec(hash);
    return match !== null && Number(match[1]) === cost.memoryKiB && Number(match[2]) === cost.timeCost;
  };

  // What a check at the configured cost takes now, from the latest ones (the dummy's for unknown addresses, accounts'
  // own), so the waits below follow the machine's load, not one moment's; a few made now to begin with. The second
  // highest, not the median: it rises within two checks when the machine gets busier (a wait too short would tell the
  // costlier kind apart; one too long only delays a 401), and one stray slow check does not move it.
  const recentMs: number[] = [];
  const recordCheck = (ms: number) => {
    recentMs.push(ms);
    if (recentMs.length > RECENT_CHECKS) recentMs.shift();
  };
  for (let i = 0; i < 3; i++) recordCheck((await timedVerify(randomPassword(), dummyHash)).ms);

  // How many times a configured check the floor hash users-api names costs (it names one at a time), measured once
  // in pairs made back to back: a busy moment slows both of a pair alike, so the ratio holds when one timing would not.
  let floor: { hash: string; ratio: Promise<number> } | undefined;
  const floorRatio = (hash: string, signal?: AbortSignal) => {
    if (floor?.hash !== hash) {
      const ratio = limiter.run(async () => {
        const floorMs: number[] = [];
        const configuredMs: number[] = [];
        for (let i = 0; i < FLOOR_PAIRS; i++) {
          floorMs.push((await timedVerify(randomPassword(), hash)).ms);
          const configured = (await timedVerify(randomPassword(), dummyHash)).ms;
          configuredMs.push(configured);
          recordCheck(configured);
        }
        return median(floorMs) / median(configuredMs);
      }, signal);
      floor = { hash, ratio };
      // A measurement that was refused (queue full, caller gone) is made again by the next check.
      ratio.catch(() => {
        if (floor?.ratio === ratio) floor = undefined;
      });
    }
    return floor.ratio;
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
     * if `signal` aborts while it waits. A failed check lasts as long as the costliest kind of hash stored takes
     * now, by waiting, not hashing: `timingFloorHash` (which users-api names while seed-era bcrypt hashes remain)
     * if given, else a check at the configured cost (the dummy's), which an argon2 hash from before a cost raise
     * would undercut. So a wrong password for an unknown address and for any kind of account look alike.
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
        const { matches, ms: verifyMs } = await timedVerify(password, hash);
        if (atConfiguredCost(hash)) recordCheck(verifyMs);
        if (storedHash === undefined || !matches) return { ok: false, verifyMs };
        if (!needsRehash(storedHash)) return { ok: true, verifyMs };
        return { ok: true, rehashed: await Bun.password.hash(password, options), verifyMs };
      }, signal);
      if (!ok) {
        const configuredMs = recentMs.toSorted((a, b) => a - b).at(-2) as number;
        const lasting =
          timingFloorHash === undefined
            ? configuredMs
            : configuredMs * Math.max(1, await floorRatio(timingFloorHash, signal));
        const left = lasting - verifyMs;
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
  monotonic: () => number,
) =>
  createPasswordHasher(
    { memoryKiB: config.HASH_MEMORY_KIB, timeCost: config.HASH_TIME_COST },
    createHashLimiter(
      config.HASH_CONCURRENCY,
      config.HASH_QUEUE_LIMIT ?? HASH_QUEUE_PER_SLOT * config.HASH_CONCURRENCY,
    ),
    monotonic,
  );
