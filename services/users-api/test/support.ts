import type { Connection } from "mongoose";
import { createApp as createAuthApp } from "../../auth-api/src/app.ts";
import type { AuthConfig } from "../../auth-api/src/config.ts";
import { generateSigningKey } from "../../auth-api/src/keys/generate.ts";
import { createHasher } from "../../auth-api/src/hashing/service.ts";
import { loadKeys } from "../../auth-api/src/keys/load.ts";
import { createApp } from "../src/app.ts";
import { createAuthClient } from "../src/auth-client/client.ts";
import type { UsersConfig } from "../src/config.ts";
import { captureLogger } from "../../shared/test/helpers.ts";
import { startMailbox } from "./mailbox.ts";

export const internalToken = "internal-token-for-tests-only-0123456789";

/** The real auth-api, in this process on a free port, hashing at a test-only low cost. */
export async function startAuthApi(port = 0) {
  const { privateJwk } = await generateSigningKey();
  const config: AuthConfig = {
    PORT: 0,
    LOG_LEVEL: "debug",
    BODY_LIMIT_BYTES: 65536,
    INTERNAL_TOKEN: internalToken,
    JWT_SIGNING_KEY: JSON.stringify(privateJwk),
    JWT_PREVIOUS_PUBLIC_KEYS: "[]",
    JWT_TTL_SECONDS: 3600,
    HASH_MEMORY_KIB: 1024,
    HASH_TIME_COST: 1,
    HASH_CONCURRENCY: 2,
    HASH_QUEUE_LIMIT: 64,
  };
  const { logger, lines } = captureLogger("auth-api");
  const [keys, hasher] = await Promise.all([loadKeys(config), createHasher(config)]);
  const app = createAuthApp({ config, keys, hasher, logger }).listen(port);
  return { url: app.server!.url.href, lines, privateJwk, stop: () => app.stop(true) };
}

/** Where mail goes in suites that do not start a mailbox of their own: a real SMTP server that keeps it. */
export const sharedMailbox = await startMailbox();

export const mailFrom = "Accounts <no-reply@accounts.test>";

export type UsersAppOptions = Partial<
  Pick<UsersConfig, "SMTP_URL" | "PUBLIC_URL" | "REQUIRE_VERIFIED_EMAIL" | "CORS_ORIGINS">
> & { mailRetryDelaysMs?: readonly number[] };

/** users-api built around `db`, talking to the auth-api at `authApiUrl`, without a port. */
export function buildUsersApp(
  db: Connection,
  authApiUrl: string,
  timeoutMs = 2_000,
  token = internalToken,
  { mailRetryDelaysMs, ...overrides }: UsersAppOptions = {},
) {
  const config: UsersConfig = {
    PORT: 0,
    LOG_LEVEL: "debug",
    BODY_LIMIT_BYTES: 65536,
    MONGODB_URI: "mongodb://unused-by-createApp",
    AUTH_API_URL: authApiUrl,
    INTERNAL_TOKEN: token,
    AUTH_API_TIMEOUT_MS: timeoutMs,
    PUBLIC_URL: "http://users.test",
    SMTP_URL: sharedMailbox.url,
    MAIL_FROM: mailFrom,
    REQUIRE_VERIFIED_EMAIL: false,
    CORS_ORIGINS: "",
    ...overrides,
  };
  const { logger, lines } = captureLogger("users-api");
  const authClient = createAuthClient({ url: authApiUrl, internalToken: token, timeoutMs, logger });
  return { app: createApp({ db, authClient, config, logger, mailRetryDelaysMs }), lines };
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
