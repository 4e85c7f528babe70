import { captureLogger } from "@accounts/shared/testing";
import { buildAuthApi } from "../src/app.ts";
import type { AuthConfig } from "../src/config.ts";
import { generateSigningKey } from "../src/keys/generate.ts";

export const INTERNAL_TOKEN = "test-internal-token-0123456789abcdef";

/**
 * The one auth-api test config (users-api's tests use it too), built directly, not from env: tests may use
 * a hash cost below the production minimum. A fresh signing key each time.
 */
export const testConfig = async (overrides: Partial<AuthConfig> = {}): Promise<AuthConfig> => ({
  PORT: 0,
  LOG_LEVEL: "info",
  BODY_LIMIT_BYTES: 65536,
  INTERNAL_TOKEN,
  JWT_SIGNING_KEY: JSON.stringify((await generateSigningKey()).privateJwk),
  JWT_PREVIOUS_PUBLIC_KEYS: "[]",
  JWT_TTL_SECONDS: 900,
  HASH_MEMORY_KIB: 1024,
  HASH_TIME_COST: 1,
  HASH_CONCURRENCY: 2,
  HASH_QUEUE_LIMIT: 4,
  ...overrides,
});

/** An auth-api app at a cheap hash cost, with its log lines collected; `clock` dates its tokens. */
export async function buildApp(overrides: Partial<AuthConfig> = {}, clock: () => number = Date.now) {
  const config = await testConfig(overrides);
  const { logger, lines } = captureLogger("auth-api");
  return { ...(await buildAuthApi(config, logger, { clock, monotonic: () => performance.now() })), config, lines };
}

/** A JSON POST to `path`, with the internal credential unless `token` says otherwise. */
export const post = (
  path: string,
  body: unknown,
  token: string | null = INTERNAL_TOKEN,
  headers: Record<string, string> = {},
) =>
  new Request(`http://localhost${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...headers,
    },
    body: JSON.stringify(body),
  });
