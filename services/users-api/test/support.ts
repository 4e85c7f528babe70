import type { JWK } from "jose";
import type { Connection } from "mongoose";
import { buildApp as buildAuthApp } from "../../auth-api/test/helpers.ts";
import { createApp } from "../src/app.ts";
import { createAuthClient } from "../src/auth-client/client.ts";
import type { UsersConfig } from "../src/config.ts";
import { captureLogger } from "../../shared/test/helpers.ts";

export const internalToken = "internal-token-for-tests-only-0123456789";

/** The real auth-api, in this process on a free port, hashing at a test-only low cost. */
export async function startAuthApi(port = 0) {
  // A queue long enough for the suites' bursts of concurrent sign-ups.
  const { app, config, lines } = await buildAuthApp({ INTERNAL_TOKEN: internalToken, HASH_QUEUE_LIMIT: 64 });
  app.listen(port);
  const privateJwk = JSON.parse(config.JWT_SIGNING_KEY) as JWK;
  return { url: app.server!.url.href, lines, privateJwk, stop: () => app.stop(true) };
}

/** users-api built around `db`, talking to the auth-api at `authApiUrl`, without a port. */
export function buildUsersApp(db: Connection, authApiUrl: string, timeoutMs = 2_000, token = internalToken) {
  const config: UsersConfig = {
    PORT: 0,
    LOG_LEVEL: "debug",
    BODY_LIMIT_BYTES: 65536,
    MONGODB_URI: "mongodb://unused-by-createApp",
    AUTH_API_URL: authApiUrl,
    INTERNAL_TOKEN: token,
    AUTH_API_TIMEOUT_MS: timeoutMs,
  };
  const { logger, lines } = captureLogger("users-api");
  const authClient = createAuthClient({ url: authApiUrl, internalToken: token, timeoutMs, logger });
  return { app: createApp({ db, authClient, config, logger }), lines };
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
