import type { UsersConfig } from "../config.ts";

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/** At most `limit` attempts per client in each fixed window of `windowMs`; `name` labels metrics and counters. */
export interface ClientRule {
  name: string;
  limit: number;
  windowMs: number;
}

/**
 * After `freeFailures` consecutive failed logins, each further attempt waits `baseDelayMs` doubled per failure
 * beyond them, at most `maxDelayMs`. A count unused for `forgetAfterMs` is forgotten: long past the longest
 * wait, so a patient guesser gains nothing by pausing, and no account stays slowed for good.
 */
export interface FailureRule {
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  forgetAfterMs: number;
}

/** Every throttling rule, from the config (defaults and their reasons: docs/security.md, "Abuse protection"). */
export const throttlingRules = (config: UsersConfig) => ({
  clients: {
    logIn: { name: "login-client", limit: config.LOGINS_PER_CLIENT_PER_MINUTE, windowMs: MINUTE_MS },
    signUp: { name: "signup-client", limit: config.SIGNUPS_PER_CLIENT_PER_HOUR, windowMs: HOUR_MS },
    // Password-forgot, verification-resend and email-change requests share one budget: each makes us mail an address.
    emailRequest: { name: "email-client", limit: config.EMAIL_REQUESTS_PER_CLIENT_PER_HOUR, windowMs: HOUR_MS },
    refresh: { name: "refresh-client", limit: config.REFRESHES_PER_CLIENT_PER_MINUTE, windowMs: MINUTE_MS },
    // Proofs: second-factor codes (a login's second step, confirming TOTP), the password every sensitive action takes
    // again, and the email-change links' tokens.
    proof: { name: "proof-client", limit: config.PROOFS_PER_CLIENT_PER_MINUTE, windowMs: MINUTE_MS },
  } satisfies Record<string, ClientRule>,
  loginFailures: {
    freeFailures: config.LOGIN_FAILURES_BEFORE_DELAY,
    baseDelayMs: config.LOGIN_DELAY_BASE_MS,
    maxDelayMs: config.LOGIN_DELAY_MAX_MS,
    forgetAfterMs: 24 * HOUR_MS,
  } satisfies FailureRule,
});

export type ThrottlingRules = ReturnType<typeof throttlingRules>;

/** How long after the last of `failures` consecutive failures the next attempt must wait. */
export function delayAfter(failures: number, rule: FailureRule): number {
  if (failures < rule.freeFailures) return 0;
  // Capped before it is computed, so a count in the thousands cannot overflow to Infinity.
  const doublings = Math.min(failures - rule.freeFailures, 40);
  return Math.min(rule.baseDelayMs * 2 ** doublings, rule.maxDelayMs);
}
