import { HttpProblem } from "@accounts/shared";
import { isDuplicateKey, orUnavailable } from "../mongodb.ts";
import type { DeviceTokensCollection, ThrottlesCollection } from "./collection.ts";
import { newSecretToken, tokenHash } from "../secret-token.ts";
import { DEVICE_TOKEN_LIFETIME_MS } from "./device-token.ts";
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

/** A login let through, and what its outcome must update. */
export interface LogInPass {
  email: string;
  /** The presented device token, when it is genuine and this account's: its own count applies. */
  device?: { token: string; id: string; failures: number; expiresAt: number };
  /** Whether the account's count has failures to reset on success. */
  accountFailures: boolean;
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

  /** One more failure on a count; a forgotten count starts again at one. */
  async function addFailure(
    collection: ThrottlesCollection | DeviceTokensCollection,
    id: string,
    at: number,
    extra: object,
  ) {
    const model = collection as ThrottlesCollection;
    const lastFailureAt = new Date(at);
    const { matchedCount } = await orUnavailable(
      model.updateOne(
        { _id: id, lastFailureAt: { $gt: new Date(at - remembersForMs) } },
        { $inc: { failures: 1 }, $max: { lastFailureAt, ...extra } },
      ),
    );
    if (matchedCount === 0)
      await orUnavailable(
        model.updateOne({ _id: id }, { $set: { failures: 1, lastFailureAt }, $max: extra }, { upsert: true }),
      );
  }

  return {
    /** One attempt under a per-client rule other than login's (sign-up, refresh, password-forgot, verification-resend). */
    async admit(ruleName: Exclude<keyof ThrottlingRules["clients"], "logIn">, client: string): Promise<void> {
      const rule = rules.clients[ruleName];
      await count(rule, windowOf(rule, client, now()));
    },

    /**
     * Lets a login attempt through, or refuses it with 429 before any password is looked at: the client's
     * window is full, or the count that applies (the device token's, when a genuine one of this account is
     * presented, else the account's) still has a wait to run. The refusal costs one read.
     */
    async admitLogIn(email: string, client: string, deviceToken: string | undefined): Promise<LogInPass> {
      const at = now();
      const rule = rules.clients.logIn;
      const window = windowOf(rule, client, at);
      const deviceId = deviceToken && tokenHash(deviceToken);
      const [counters, device] = await Promise.all([
        orUnavailable(throttles.find({ _id: { $in: [window.id, accountKey(email)] } }).lean()),
        deviceId ? orUnavailable(deviceTokens.findById(deviceId).lean()) : undefined,
      ]);
      if ((counters.find(({ _id }) => _id === window.id)?.count ?? 0) >= rule.limit)
        throw tooMany(rule.name, window.endsAt - at);
      const account = counters.find(({ _id }) => _id === accountKey(email));
      const genuine = device && device.email === email && device.expiresAt.getTime() > at ? device : undefined;
      const wait = waitLeft(genuine ?? account, at);
      if (wait > 0) throw tooMany(genuine ? "login-device" : "login-account", wait);
      // Counted only once let through, so refusals cost no write; `count` still refuses past the limit
      // when concurrent attempts all read a window one short of full.
      await count(rule, window);
      return {
        email,
        device: genuine && {
          token: deviceToken!,
          id: genuine._id,
          failures: genuine.failures ?? 0,
          expiresAt: genuine.expiresAt.getTime(),
        },
        accountFailures: alive(account, at),
      };
    },

    /** A wrong password (or no such account): one more failure for the device token, else for the account. */
    async logInFailed({ email, device }: LogInPass): Promise<void> {
      const at = now();
      if (device) await addFailure(deviceTokens, device.id, at, {});
      else await addFailure(throttles, accountKey(email), at, { expiresAt: new Date(at + remembersForMs) });
    },

    /**
     * A successful login: resets the account's count and the device's, and answers the device token to keep:
     * the one presented if genuine (its lifetime renewed once half of it has passed), else a new one.
     */
    async logInSucceeded({ email, device, accountFailures }: LogInPass, userId: string) {
      const at = now();
      const expiresAt = at + DEVICE_TOKEN_LIFETIME_MS;
      const resets: Promise<unknown>[] = [];
      if (accountFailures) resets.push(orUnavailable(throttles.deleteOne({ _id: accountKey(email) })));
      if (!device) {
        const { token: deviceToken, hash } = newSecretToken();
        resets.push(orUnavailable(deviceTokens.create({ _id: hash, userId, email, expiresAt: new Date(expiresAt) })));
        await Promise.all(resets);
        return { deviceToken, maxAgeMs: DEVICE_TOKEN_LIFETIME_MS };
      }
      const renew = device.failures > 0 || device.expiresAt - at < DEVICE_TOKEN_LIFETIME_MS / 2;
      if (renew)
        resets.push(
          orUnavailable(
            deviceTokens.updateOne({ _id: device.id }, { $set: { failures: 0, expiresAt: new Date(expiresAt) } }),
          ),
        );
      await Promise.all(resets);
      return { deviceToken: device.token, maxAgeMs: renew ? DEVICE_TOKEN_LIFETIME_MS : device.expiresAt - at };
    },

    /** A deleted account's device tokens go with it. */
    async forgetUser(userId: string): Promise<void> {
      await orUnavailable(deviceTokens.deleteMany({ userId }));
    },
  };
}
