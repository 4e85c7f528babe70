import { HttpProblem } from "@accounts/shared";
import { isDuplicateKey, orUnavailable } from "../mongodb.ts";
import type { DeviceTokensCollection, ThrottlesCollection } from "./collection.ts";
import { newSecretToken, tokenHash } from "../secret-token.ts";
import { DEVICE_TOKEN_LIFETIME_MS, DEVICE_TOKENS_PER_ACCOUNT } from "./device-token.ts";
import { type ClientRule, delayAfter, type ThrottlingRules } from "./rules.ts";

export interface ThrottlingDeps {
  throttles: ThrottlesCollection;
  deviceTokens: DeviceTokensCollection;
  rules: ThrottlingRules;
  /** Milliseconds since the epoch. */
  now: () => number;
  /** Called once per refused attempt with the rule that refused it (for metrics). */
  onThrottled: (rule: string) => void;
}

/** A password check let through: the attempt is already counted as a failure until it is known to succeed. */
export interface Admission {
  email: string;
  /** The presented device token, when it is genuine and this account's: its count was the one reserved. */
  device?: { token: string; id: string; failures: number; expiresAt: number };
  /** Whether the account's count holds failures to forget on success. */
  accountFailures: boolean;
  /** Takes the attempt back when no password was checked after all (auth-api unavailable): it was no failure. */
  release: () => Promise<void>;
}

interface FailureCount {
  failures?: number | null;
  lastFailureAt?: Date | null;
}

const accountKey = (email: string) => `login-account:${email}`;

export type Throttling = ReturnType<typeof createThrottling>;

/**
 * Throttling shared by every replica through MongoDB: per client address, fixed windows (`rules.clients`); per
 * account and per device token, a wait that doubles per consecutive failed login (`rules.loginFailures`).
 * A refusal is a 429 with Retry-After; deciding it takes one database round trip and nothing else.
 */
export function createThrottling({ throttles, deviceTokens, rules, now, onThrottled }: ThrottlingDeps) {
  const failureRule = rules.loginFailures;
  // A count is alive until it has been unused past the longest wait and the forgetting time after it.
  const remembersForMs = failureRule.maxDelayMs + failureRule.forgetAfterMs;

  const tooMany = (rule: string, retryAfterMs: number) => {
    onThrottled(rule);
    return new HttpProblem(429, "Too many attempts; try again after the number of seconds in Retry-After", {
      retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)),
    });
  };

  const windowOf = (rule: ClientRule, client: string, at: number) => {
    const start = Math.floor(at / rule.windowMs) * rule.windowMs;
    return { id: `${rule.name}:${client}:${start}`, endsAt: start + rule.windowMs };
  };

  /** Counts one attempt in the client's current window; 429 once it is past the rule's limit. */
  async function count(rule: ClientRule, window: { id: string; endsAt: number }) {
    const increment = () =>
      throttles
        .findOneAndUpdate(
          { _id: window.id },
          { $inc: { count: 1 }, $setOnInsert: { expiresAt: new Date(window.endsAt) } },
          { upsert: true, returnDocument: "after" },
        )
        .lean();
    // Two first attempts of a window may both insert; the loser finds the winner's document on its retry.
    const counted = await orUnavailable(
      increment().catch((error) => (isDuplicateKey(error) ? increment() : Promise.reject(error))),
    );
    if ((counted?.count ?? 0) > rule.limit) throw tooMany(rule.name, window.endsAt - now());
  }

  const alive = (count: FailureCount | undefined, at: number) =>
    Boolean(count?.failures && count.lastFailureAt && count.lastFailureAt.getTime() > at - remembersForMs);

  /** Milliseconds the next attempt must still wait, 0 when it may go ahead. */
  const waitLeft = (count: FailureCount | undefined, at: number) =>
    alive(count, at)
      ? Math.max(0, count!.lastFailureAt!.getTime() + delayAfter(count!.failures!, failureRule) - at)
      : 0;

  /**
   * Counts the admitted attempt as one more failure (a success forgets it later), in one conditional write, so of
   * concurrent attempts no more get through than the count allows: within the free failures, an `$inc` that
   * matches only below their number (concurrent attempts share them, never exceed them); past them, or on a
   * forgotten count (it starts again at one), a write conditional on the count as read, which one attempt wins.
   * `failures` is the count the attempt leaves, whether it won or another did; `release` takes it back.
   */
  async function reserve(
    collection: ThrottlesCollection,
    id: string,
    read: FailureCount | undefined,
    at: number,
    extra: { expiresAt?: Date },
  ): Promise<{ won: boolean; failures: number; release: () => Promise<void> }> {
    const lastFailureAt = new Date(at);
    const counted = alive(read, at) ? read!.failures! : 0;
    if (!read || (counted === (read.failures ?? 0) && counted < failureRule.freeFailures)) {
      const increment = () =>
        collection.updateOne(
          { _id: id, failures: { $lt: failureRule.freeFailures } },
          { $inc: { failures: 1 }, $max: { lastFailureAt, ...extra } },
          // A count not read yet (no document) is made here; a device token's always exists.
          { upsert: !read },
        );
      // Two first attempts may both insert; the loser's retry counts on the winner's document.
      const result = await orUnavailable(
        increment().catch((error) => (isDuplicateKey(error) ? increment() : Promise.reject(error))),
      ).catch((error) => (isDuplicateKey(error) ? { matchedCount: 0, upsertedCount: 0 } : Promise.reject(error)));
      return {
        won: result.matchedCount + result.upsertedCount === 1,
        failures: Math.min(counted + 1, failureRule.freeFailures),
        release: async () => {
          await orUnavailable(collection.updateOne({ _id: id, failures: { $gt: 0 } }, { $inc: { failures: -1 } }));
        },
      };
    }
    const failures = counted + 1;
    const { matchedCount } = await orUnavailable(
      collection.updateOne(
        { _id: id, failures: read.failures ?? null, lastFailureAt: read.lastFailureAt ?? null },
        { $set: { failures, lastFailureAt, ...extra } },
      ),
    );
    return {
      won: matchedCount === 1,
      failures,
      // Back to the count as read, unless another attempt has moved it on since.
      release: async () => {
        await orUnavailable(
          collection.updateOne(
            { _id: id, failures, lastFailureAt },
            { $set: { failures: read.failures ?? 0, lastFailureAt: read.lastFailureAt ?? null } },
          ),
        );
      },
    };
  }

  /** A new device token for the account; past DEVICE_TOKENS_PER_ACCOUNT its oldest end. */
  async function issueDeviceToken(userId: string, email: string, at: number) {
    const { token: deviceToken, hash } = newSecretToken();
    const [older] = await Promise.all([
      orUnavailable(
        deviceTokens
          // Not the new one, whether or not its insert lands first.
          .find({ userId, _id: { $ne: hash } }, { _id: 1 })
          .sort({ createdAt: -1 })
          .skip(DEVICE_TOKENS_PER_ACCOUNT - 1)
          .lean(),
      ),
      orUnavailable(
        deviceTokens.create({
          _id: hash,
          userId,
          email,
          createdAt: new Date(at),
          expiresAt: new Date(at + DEVICE_TOKEN_LIFETIME_MS),
        }),
      ),
    ]);
    if (older.length > 0) await orUnavailable(deviceTokens.deleteMany({ _id: { $in: older.map(({ _id }) => _id) } }));
    return { deviceToken, maxAgeMs: DEVICE_TOKEN_LIFETIME_MS };
  }

  return {
    /** One attempt under a per-client rule other than login's (sign-up, refresh, password-forgot, verification-resend). */
    async admit(ruleName: Exclude<keyof ThrottlingRules["clients"], "logIn">, client: string): Promise<void> {
      const rule = rules.clients[ruleName];
      await count(rule, windowOf(rule, client, now()));
    },

    /**
     * Lets one password check through (a login, a password change), or refuses it with 429 before any password is
     * looked at: the client's window is full (when `client` is given), or the count that applies (the device
     * token's, when a genuine one of this account is presented, else the account's) still has a wait to run, or
     * another attempt took the end of that wait first. One read decides a refusal; one conditional write per count
     * reserves the attempt, so of concurrent attempts after a wait exactly one goes ahead.
     */
    async admitPasswordCheck(
      email: string,
      { client, deviceToken }: { client?: string; deviceToken?: string } = {},
    ): Promise<Admission> {
      const at = now();
      const rule = rules.clients.logIn;
      const window = client === undefined ? undefined : windowOf(rule, client, at);
      const deviceId = deviceToken && tokenHash(deviceToken);
      const ids = window ? [window.id, accountKey(email)] : [accountKey(email)];
      const [counters, device] = await Promise.all([
        orUnavailable(throttles.find({ _id: { $in: ids } }).lean()),
        deviceId ? orUnavailable(deviceTokens.findById(deviceId).lean()) : undefined,
      ]);
      if (window && (counters.find(({ _id }) => _id === window.id)?.count ?? 0) >= rule.limit)
        throw tooMany(rule.name, window.endsAt - at);
      const account = counters.find(({ _id }) => _id === accountKey(email));
      const genuine = device && device.email === email && device.expiresAt.getTime() > at ? device : undefined;
      const ruleName = genuine ? "login-device" : "login-account";
      const wait = waitLeft(genuine ?? account, at);
      if (wait > 0) throw tooMany(ruleName, wait);
      const [reserved] = await Promise.all([
        genuine
          ? reserve(deviceTokens as unknown as ThrottlesCollection, genuine._id, genuine, at, {})
          : reserve(throttles, accountKey(email), account, at, { expiresAt: new Date(at + remembersForMs) }),
        // Counted only once let through, so refusals cost no write; `count` still refuses past the limit
        // when concurrent attempts all read a window one short of full.
        window && count(rule, window),
      ]);
      if (!reserved.won) throw tooMany(ruleName, Math.max(1_000, delayAfter(reserved.failures, failureRule)));
      return {
        email,
        device: genuine && {
          token: deviceToken!,
          id: genuine._id,
          failures: reserved.failures,
          expiresAt: genuine.expiresAt.getTime(),
        },
        accountFailures: genuine ? alive(account, at) : true,
        release: reserved.release,
      };
    },

    /** A right password: the admitted attempt was no failure, nor were those before it. */
    async forgetFailures({ email, device, accountFailures }: Admission): Promise<void> {
      await Promise.all([
        accountFailures && orUnavailable(throttles.deleteOne({ _id: accountKey(email) })),
        device && orUnavailable(deviceTokens.updateOne({ _id: device.id }, { $set: { failures: 0 } })),
      ]);
    },

    /**
     * A successful login: forgets the failures and answers the device token to keep: the one presented if genuine
     * (its lifetime renewed once half of it has passed), else a new one.
     */
    async logInSucceeded(pass: Admission, userId: string) {
      const { email, device } = pass;
      const at = now();
      if (!device) {
        const [created] = await Promise.all([
          issueDeviceToken(userId, email, at),
          pass.accountFailures && orUnavailable(throttles.deleteOne({ _id: accountKey(email) })),
        ]);
        return created;
      }
      const renew = device.expiresAt - at < DEVICE_TOKEN_LIFETIME_MS / 2;
      await Promise.all([
        orUnavailable(
          deviceTokens.updateOne(
            { _id: device.id },
            { $set: { failures: 0, ...(renew && { expiresAt: new Date(at + DEVICE_TOKEN_LIFETIME_MS) }) } },
          ),
        ),
        pass.accountFailures && orUnavailable(throttles.deleteOne({ _id: accountKey(email) })),
      ]);
      return { deviceToken: device.token, maxAgeMs: renew ? DEVICE_TOKEN_LIFETIME_MS : device.expiresAt - at };
    },

    /**
     * The account's password was changed or reset: every device token it earned ends (each was a pass around the
     * account's wait, earned with the old password), its failures are forgotten, and the device that did it gets
     * a new token.
     */
    async passwordReplaced(userId: string, email: string) {
      await Promise.all([
        orUnavailable(deviceTokens.deleteMany({ userId })),
        orUnavailable(throttles.deleteOne({ _id: accountKey(email) })),
      ]);
      return issueDeviceToken(userId, email, now());
    },

    /** Ends one device token. */
    async endDeviceToken(token: string): Promise<void> {
      await orUnavailable(deviceTokens.deleteOne({ _id: tokenHash(token) }));
    },

    /** A deleted account's device tokens go with it. */
    async forgetUser(userId: string): Promise<void> {
      await orUnavailable(deviceTokens.deleteMany({ userId }));
    },
  };
}
