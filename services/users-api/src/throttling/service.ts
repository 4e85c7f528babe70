import { isDuplicateKey, orUnavailable } from "../mongodb.ts";
import { tooManyAttempts, WaitRefused } from "../problems.ts";
import { newSecretToken, tokenHash } from "../secret-token.ts";
import {
  type AccountCount,
  accountKey,
  type FailureCount,
  type StoredDevice,
  type ThrottlesCollection,
} from "./collection.ts";
import { DEVICE_TOKEN_LIFETIME_MS, DEVICE_TOKENS_PER_ACCOUNT } from "./device-token.ts";
import { type ClientRule, delayAfter, type ThrottlingRules } from "./rules.ts";

const retryAfterSeconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

export interface ThrottlingDeps {
  throttles: ThrottlesCollection;
  rules: ThrottlingRules;
  /** Milliseconds since the epoch. */
  now: () => number;
  /** Called once per refused attempt with the rule that refused it (for metrics). */
  onThrottled: (rule: string) => void;
}

/** A password attempt the first read did not refuse; `reserve` counts it, or refuses it after all. */
export interface PendingAttempt {
  reserve: () => Promise<Admission>;
}

/**
 * What an attempt checks: a password (the account's, or a device token's, count of failed logins) or a second-factor
 * code (the account's count of wrong codes, in `codes.`).
 */
export type Secret = "password" | "code";

/** A password or code check let through: the attempt is already counted as a failure until it is known to succeed. */
export interface Admission {
  email: string;
  secret: Secret;
  /** The presented device token, when it is genuine and this account's: its count was the one reserved. */
  device?: { token: string; id: string; expiresAt: number };
  /** The account's device tokens as read: a new one past DEVICE_TOKENS_PER_ACCOUNT ends the oldest. */
  devices: Readonly<Record<string, StoredDevice>>;
  /** Takes the attempt back when no password was checked after all (auth-api unavailable): it was no failure. */
  release: () => Promise<void>;
}

const devicePath = (id: string) => `devices.${id}`;

export type Throttling = ReturnType<typeof createThrottling>;

/**
 * Throttling shared by every replica through MongoDB: per client address, fixed windows (`rules.clients`); per
 * account and per device token, a wait that doubles per consecutive failed login (`rules.loginFailures`).
 * A refusal is a 429 with Retry-After; deciding it takes one database round trip and nothing else.
 */
export function createThrottling({ throttles, rules, now, onThrottled }: ThrottlingDeps) {
  const failureRule = rules.loginFailures;
  // A count is alive until it has been unused past the longest wait and the forgetting time after it.
  const remembersForMs = failureRule.maxDelayMs + failureRule.forgetAfterMs;

  const tooMany = (rule: string, retryAfterMs: number) => {
    onThrottled(rule);
    return tooManyAttempts(retryAfterSeconds(retryAfterMs));
  };

  const windowOf = (rule: ClientRule, client: string, at: number) => {
    const start = Math.floor(at / rule.windowMs) * rule.windowMs;
    return { id: `${rule.name}:${client}:${start}`, endsAt: start + rule.windowMs };
  };

  /**
   * The write that counts one attempt in the client's window: it matches only below the rule's limit, and inserts a
   * window not there yet. So a full window fails it as a duplicate key (the insert of an `_id` that exists), as does
   * the second of two first attempts that both insert; `countsAgain` tells the two apart.
   */
  const windowWrite = (rule: ClientRule, window: { id: string; endsAt: number }) => ({
    filter: { _id: window.id, count: { $lt: rule.limit } },
    update: { $inc: { count: 1 }, $setOnInsert: { expiresAt: new Date(window.endsAt) } },
  });

  /** After a duplicate key on an upsert: the same write without the insert, which another attempt has made. */
  const countsAgain = async ({ filter, update }: { filter: object; update: object }) =>
    (await orUnavailable(throttles.updateOne(filter, update))).matchedCount === 1;

  /** Counts one attempt in the client's current window; 429 when it is full. */
  async function count(rule: ClientRule, window: { id: string; endsAt: number }) {
    const write = windowWrite(rule, window);
    const counted = await orUnavailable(throttles.updateOne(write.filter, write.update, { upsert: true })).then(
      () => true,
      (error) => (isDuplicateKey(error) ? countsAgain(write) : Promise.reject(error)),
    );
    if (!counted) throw tooMany(rule.name, window.endsAt - now());
  }

  const alive = (count: FailureCount | undefined, at: number) =>
    Boolean(count?.failures && count.lastFailureAt && count.lastFailureAt.getTime() > at - remembersForMs);

  /**
   * Milliseconds the next attempt must still wait, 0 when it may go ahead. Within the free failures there is no
   * wait at all: a failure stamped a little after `at` (a concurrent attempt's, or a replica's clock ahead) is none.
   */
  const waitLeft = (count: FailureCount | undefined, at: number) => {
    const delay = alive(count, at) ? delayAfter(count!.failures!, failureRule) : 0;
    return delay === 0 ? 0 : Math.max(0, count!.lastFailureAt!.getTime() + delay - at);
  };

  /**
   * The write that counts an admitted attempt as one more failure (a success forgets it later) on the count at
   * `prefix` of the account's document (its own, or a device token's), conditional so that of concurrent attempts
   * no more get through than the count allows: within the free failures, an `$inc` that matches only below their
   * number (concurrent attempts share them, never exceed them); past them, or on a forgotten count (it starts again
   * at one), a `$set` conditional on the count as read, which one attempt wins. `failures` is the count the attempt
   * leaves, whether it won or another did; `undo` takes it back.
   */
  function reservation(id: string, prefix: string, read: FailureCount | undefined, at: number, stored: boolean) {
    const lastFailureAt = new Date(at);
    const [failuresField, lastFailureField] = [`${prefix}failures`, `${prefix}lastFailureAt`];
    const expiresAt = new Date(at + remembersForMs);
    const counted = alive(read, at) ? read!.failures! : 0;
    if (!read || (counted === (read.failures ?? 0) && counted < failureRule.freeFailures))
      return {
        failures: Math.min(counted + 1, failureRule.freeFailures),
        write: {
          // Also a count not there yet (a document without it: `$not` matches a missing field).
          filter: { _id: id, [failuresField]: { $not: { $gte: failureRule.freeFailures } } },
          update: { $inc: { [failuresField]: 1 }, $max: { [lastFailureField]: lastFailureAt, expiresAt } },
          // A document not read yet is made here.
          upsert: !stored,
        },
        undo: { filter: { _id: id, [failuresField]: { $gt: 0 } }, update: { $inc: { [failuresField]: -1 } } },
      };
    const failures = counted + 1;
    return {
      failures,
      write: {
        filter: { _id: id, [failuresField]: read.failures ?? null, [lastFailureField]: read.lastFailureAt ?? null },
        update: { $set: { [failuresField]: failures, [lastFailureField]: lastFailureAt }, $max: { expiresAt } },
        upsert: false,
      },
      // Back to the count as read, unless another attempt has moved it on since.
      undo: {
        filter: { _id: id, [failuresField]: failures, [lastFailureField]: lastFailureAt },
        update: { $set: { [failuresField]: read.failures ?? 0, [lastFailureField]: read.lastFailureAt ?? null } },
      },
    };
  }

  /**
   * Sends the window's count (windowWrite, when there is one) and the reservation in one command. A full window is a
   * duplicate key at its index, which tells it apart from the reservation, whose outcome is what the total leaves.
   */
  async function countTogether(
    window: { rule: ClientRule; id: string; endsAt: number } | undefined,
    write: { filter: object; update: object; upsert: boolean },
  ): Promise<{ window: boolean; reserved: boolean }> {
    const counting = window && { ...windowWrite(window.rule, window), upsert: true };
    const operations = [...(counting ? [counting] : []), write].map((updateOne) => ({ updateOne }));
    const { result, failed } = await orUnavailable(
      throttles.bulkWrite(operations as never, { ordered: false }).then(
        (done) => ({ result: done, failed: [] as number[] }),
        (error) => {
          const errors = (error?.writeErrors ?? []) as { index: number; code: number }[];
          if (!error?.result || errors.some(({ code }) => code !== 11000)) throw error;
          return { result: error.result, failed: errors.map(({ index }) => index) };
        },
      ),
    );
    const windowCounted = counting !== undefined && !failed.includes(0);
    const total = (result.matchedCount ?? 0) + (result.upsertedCount ?? 0);
    // Two first attempts may both insert the count, or the window: the loser counts again on the winner's document.
    const reserved = failed.includes(operations.length - 1)
      ? await countsAgain(write)
      : total - (windowCounted ? 1 : 0) === 1;
    const windowOk = counting === undefined || windowCounted || (await countsAgain(counting));
    return { window: windowOk, reserved };
  }

  /** A new device token, and the write that stores it in the account's document (oldest past the cap removed). */
  function newDevice(devices: Readonly<Record<string, StoredDevice>>, at: number) {
    const { token, hash } = newSecretToken();
    const byAge = Object.entries(devices).toSorted(([, a], [, b]) => a.createdAt.getTime() - b.createdAt.getTime());
    const ended = byAge.slice(0, Math.max(0, byAge.length - (DEVICE_TOKENS_PER_ACCOUNT - 1))).map(([id]) => id);
    const device: StoredDevice = {
      failures: 0,
      createdAt: new Date(at),
      expiresAt: new Date(at + DEVICE_TOKEN_LIFETIME_MS),
    };
    return {
      grant: { deviceToken: token, maxAgeMs: DEVICE_TOKEN_LIFETIME_MS },
      id: hash,
      device,
      unset: Object.fromEntries(ended.map((id) => [devicePath(id), 1])),
    };
  }

  /** passwordAttempt and codeAttempt. */
  async function attempt(
    email: string,
    secret: Secret,
    { client, deviceToken }: { client?: string; deviceToken?: string },
  ): Promise<PendingAttempt> {
    const at = now();
    const rule = rules.clients.logIn;
    const window = client === undefined ? undefined : windowOf(rule, client, at);
    const key = accountKey(email);
    const read = await orUnavailable(
      throttles
        .find({ _id: { $in: window ? [window.id, key] : [key] } })
        .lean<(AccountCount & { _id: string; count?: number })[]>(),
    );
    const windowCount = window && read.find(({ _id }) => _id === window.id);
    if (window && (windowCount?.count ?? 0) >= rule.limit) throw tooMany(rule.name, window.endsAt - at);
    const account = read.find(({ _id }) => _id === key);
    const devices = account?.devices ?? {};
    const deviceId = deviceToken && tokenHash(deviceToken);
    const device = deviceId ? devices[deviceId] : undefined;
    const genuine = device && device.expiresAt.getTime() > at ? device : undefined;
    const [ruleName, prefix, counted] =
      secret === "code"
        ? (["code-account", "codes.", account?.codes] as const)
        : genuine
          ? (["login-device", `${devicePath(deviceId!)}.`, genuine] as const)
          : (["login-account", "", account] as const);
    const wait = waitLeft(counted, at);
    if (wait > 0) {
      onThrottled(ruleName);
      throw new WaitRefused(retryAfterSeconds(wait), ruleName, counted!.lastFailureAt!);
    }
    return {
      async reserve(): Promise<Admission> {
        // A code's count is made on an account document that may not exist yet (`codes` absent is no count).
        const { failures, write, undo } = reservation(key, prefix, counted, at, account !== undefined);
        const result = await countTogether(window && { ...window, rule }, write);
        const release = async () => {
          if (result.reserved) await orUnavailable(throttles.updateOne(undo.filter, undo.update));
        };
        if (!result.window) {
          await release();
          throw tooMany(rule.name, window!.endsAt - at);
        }
        if (!result.reserved) throw tooMany(ruleName, Math.max(1_000, delayAfter(failures, failureRule)));
        return {
          email,
          secret,
          device: genuine && { token: deviceToken!, id: deviceId!, expiresAt: genuine.expiresAt.getTime() },
          devices,
          release,
        };
      },
    };
  }

  return {
    /** One attempt under a per-client rule other than login's (sign-up, refresh, password-forgot, verification-resend). */
    async admit(ruleName: Exclude<keyof ThrottlingRules["clients"], "logIn">, client: string): Promise<void> {
      const rule = rules.clients[ruleName];
      await count(rule, windowOf(rule, client, now()));
    },

    /**
     * The first step of a password check (a login, a proof of presence): refuses it with 429 before any password is
     * looked at when the client's window is full (when `client` is given), or the count that applies (the device
     * token's, when a genuine one of this account is presented, else the account's) still has a wait to run. One
     * read decides that. `reserve` then counts the attempt with one conditional write per count, in one command,
     * and refuses it if another attempt took the end of that wait first: of concurrent attempts after a wait exactly
     * one goes ahead.
     */
    passwordAttempt: (email: string, options: { client?: string; deviceToken?: string } = {}) =>
      attempt(email, "password", options),

    /**
     * The same for a second-factor code, under the same rule on the account's count of wrong codes (its routes count
     * the client's proofs themselves). A genuine device token is kept, not counted on.
     */
    codeAttempt: (email: string, options: { deviceToken?: string } = {}) => attempt(email, "code", options),

    /** A right password or code: the admitted attempt was no failure, nor were those before it. */
    async forgetFailures({ email, secret, device }: Admission): Promise<void> {
      const forgotten =
        secret === "code"
          ? { "codes.failures": 0 }
          : { failures: 0, ...(device && { [`${devicePath(device.id)}.failures`]: 0 }) };
      await orUnavailable(throttles.updateOne({ _id: accountKey(email) }, { $set: forgotten }));
    },

    /**
     * A successful login, in one write: forgets the failures and answers the device token to keep: the one
     * presented if genuine (its lifetime renewed once half of it has passed), else a new one.
     */
    async logInSucceeded({ email, secret, device, devices }: Admission) {
      const at = now();
      // After a second factor, its wrong codes are forgotten too (the password's were, at the first step).
      const forgotten = { failures: 0, ...(secret === "code" && { "codes.failures": 0 }) };
      if (!device) {
        const created = newDevice(devices, at);
        await orUnavailable(
          throttles.updateOne(
            { _id: accountKey(email) },
            {
              $set: { ...forgotten, [devicePath(created.id)]: created.device },
              ...(Object.keys(created.unset).length > 0 && { $unset: created.unset }),
              $max: { expiresAt: created.device.expiresAt },
            },
            { upsert: true },
          ),
        );
        return created.grant;
      }
      const renewed = device.expiresAt - at < DEVICE_TOKEN_LIFETIME_MS / 2 && new Date(at + DEVICE_TOKEN_LIFETIME_MS);
      const path = devicePath(device.id);
      await orUnavailable(
        throttles.updateOne(
          { _id: accountKey(email) },
          {
            $set: { ...forgotten, [`${path}.failures`]: 0, ...(renewed && { [`${path}.expiresAt`]: renewed }) },
            ...(renewed && { $max: { expiresAt: renewed } }),
          },
        ),
      );
      return { deviceToken: device.token, maxAgeMs: renewed ? DEVICE_TOKEN_LIFETIME_MS : device.expiresAt - at };
    },

    /**
     * The account's password was changed or reset: every device token it earned ends (each was a pass around the
     * account's wait, earned with the old password), its failures are forgotten, and the device that did it gets
     * a new token. One write.
     */
    async passwordReplaced(email: string) {
      const created = newDevice({}, now());
      await orUnavailable(
        throttles.updateOne(
          { _id: accountKey(email) },
          {
            $set: { failures: 0, devices: { [created.id]: created.device } },
            $max: { expiresAt: created.device.expiresAt },
          },
          { upsert: true },
        ),
      );
      return created.grant;
    },

    /** Ends one device token of the account. */
    async endDeviceToken(email: string, token: string): Promise<void> {
      await orUnavailable(
        throttles.updateOne({ _id: accountKey(email) }, { $unset: { [devicePath(tokenHash(token))]: 1 } }),
      );
    },

    /** A deleted account's count and device tokens go with it. */
    /** Every device token of the account ends; its failure counts stay (admin/'s disable). */
    async endDeviceTokens(email: string): Promise<void> {
      await orUnavailable(throttles.updateOne({ _id: accountKey(email) }, { $unset: { devices: 1 } }));
    },
    async forgetAccount(email: string): Promise<void> {
      await orUnavailable(throttles.deleteOne({ _id: accountKey(email) }));
    },
  };
}
