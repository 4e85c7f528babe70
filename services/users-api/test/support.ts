import type { JWK } from "jose";
import type { Connection } from "mongoose";
import type { AuthConfig } from "@accounts/auth-api/config";
import { buildApp as buildAuthApp } from "@accounts/auth-api/testing";
import { createApps } from "../src/app.ts";
import { createAuthClient } from "../src/auth-client/client.ts";
import { loadUsersConfig } from "../src/config.ts";
import { captureLogger } from "@accounts/shared/testing";
import { startMailbox } from "./mailbox.ts";

export const internalToken = "internal-token-for-tests-only-0123456789";

/** MFA_ENCRYPTION_KEY for every users-api the suites start: 32 bytes, for tests only. */
export const encryptionKey = Buffer.alloc(32, 7).toString("base64");

/**
 * The real auth-api, in this process on a free port, hashing at a test-only low cost unless `overrides` say otherwise.
 * A suite that moves users-api's clock passes it as `clock` too, so tokens are dated by the time that judges them.
 */
export async function startAuthApi(port = 0, overrides: Partial<AuthConfig> = {}, clock?: () => number) {
  // A queue long enough for the suites' bursts of concurrent sign-ups.
  const { app, config, lines } = await buildAuthApp(
    { INTERNAL_TOKEN: internalToken, HASH_QUEUE_LIMIT: 64, ...overrides },
    clock,
  );
  app.listen(port);
  const privateJwk = JSON.parse(config.JWT_SIGNING_KEY) as JWK;
  return { url: app.server!.url.href, lines, privateJwk, stop: () => app.stop(true) };
}

/** Where mail goes in suites that do not start a mailbox of their own: a real SMTP server that keeps it. */
export const sharedMailbox = await startMailbox();

export const mailFrom = "Accounts <no-reply@accounts.test>";

export interface UsersAppOptions {
  timeoutMs?: number;
  token?: string;
  /** More users-api variables, as the environment would give them (e.g. a throttling limit a suite exceeds). */
  env?: Record<string, string>;
  clock?: () => number;
  mailRetryDelaysMs?: readonly number[];
}

/**
 * users-api built around `db`, talking to the auth-api at `authApiUrl`, without a port; other settings default.
 * `admin` is the admin app, when `env` sets ADMIN_TOKEN.
 */
export function buildUsersApp(
  db: Connection,
  authApiUrl: string,
  { timeoutMs = 2_000, token = internalToken, env = {}, clock = Date.now, mailRetryDelaysMs }: UsersAppOptions = {},
) {
  const config = loadUsersConfig({
    LOG_LEVEL: "debug",
    MONGODB_URI: "mongodb://unused-by-createApp",
    AUTH_API_URL: authApiUrl,
    INTERNAL_TOKEN: token,
    MFA_ENCRYPTION_KEY: encryptionKey,
    AUTH_API_TIMEOUT_MS: String(timeoutMs),
    PUBLIC_URL: "http://users.test",
    SMTP_URL: sharedMailbox.url,
    MAIL_FROM: mailFrom,
    ...env,
  });
  const { logger, lines } = captureLogger("users-api");
  const authClient = createAuthClient({ url: authApiUrl, internalToken: token, timeoutMs, logger, clock });
  return {
    ...createApps({
      db,
      authClient,
      config,
      logger,
      clock,
      monotonic: () => performance.now(),
      mailRetryDelaysMs,
    }),
    lines,
  };
}

export type RequestOptions = { body?: unknown; token?: string; headers?: Record<string, string> };

/** A JSON request the way a client sends it: `body` as JSON, `token` as a bearer token. */
export function requestInit(method: string, { body, token, headers = {} }: RequestOptions = {}): RequestInit {
  return {
    method,
    headers: {
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  };
}

/** A JSON request to the app, the way a client would send it. */
export const request = (method: string, path: string, options?: RequestOptions) =>
  new Request(`http://users.test${path}`, requestInit(method, options));

/**
 * What a users-api process needs in the suites that start one, besides its database and auth-api: the shared
 * mailbox, and per-client limits far above what their one client (127.0.0.1) sends (throttling.test.ts covers the
 * limits themselves).
 */
export const usersApiProcessEnv = () => ({
  MFA_ENCRYPTION_KEY: encryptionKey,
  SMTP_URL: sharedMailbox.url,
  MAIL_FROM: mailFrom,
  SIGNUPS_PER_CLIENT_PER_HOUR: "100000",
  LOGINS_PER_CLIENT_PER_MINUTE: "100000",
  REFRESHES_PER_CLIENT_PER_MINUTE: "100000",
  PROOFS_PER_CLIENT_PER_MINUTE: "100000",
  EMAIL_REQUESTS_PER_CLIENT_PER_HOUR: "100000",
});
