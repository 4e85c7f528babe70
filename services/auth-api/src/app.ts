import { createMetrics, createServiceApp, type Logger } from "@accounts/shared";
import type { AuthConfig } from "./config.ts";
import { hashing } from "./hashing/index.ts";
import { createHasher, type PasswordHasher } from "./hashing/service.ts";
import { jwks } from "./jwks/index.ts";
import { loadKeys, type SigningKeys } from "./keys/load.ts";
import { authLinks } from "./links.ts";
import { tokens } from "./tokens/index.ts";
import { createTokenService } from "./tokens/service.ts";

export interface AuthAppDeps {
  config: AuthConfig;
  keys: SigningKeys;
  hasher: PasswordHasher;
  logger: Logger;
  /** Milliseconds since the epoch, for the tokens' iat and exp; tests pass the clock users-api judges them by. */
  clock: () => number;
  /** Milliseconds that never go back: how long each request took. */
  monotonic: () => number;
}

/** The clocks auth-api's decisions read; only index.ts passes the real ones. */
export interface AuthClocks {
  /** Milliseconds since the epoch: the tokens' iat and exp. */
  clock: () => number;
  /** Milliseconds that never go back (performance.now): how long a hash check took, which a failed check waits out, and a request. */
  monotonic: () => number;
}

/** The auth-api app, ready to `listen` or to `handle` requests in tests. */
export function createApp({ config, keys, hasher, logger, clock, monotonic }: AuthAppDeps) {
  const tokenService = createTokenService(keys, config.JWT_TTL_SECONDS, clock);
  const metrics = createMetrics();
  metrics.gauge("password_hashes_in_flight", "argon2id hashes and verifies running now", () => hasher.limiter.inFlight);
  metrics.gauge(
    "password_hashes_queued",
    "argon2id hashes and verifies waiting for a slot",
    () => hasher.limiter.queued,
  );
  metrics.counterReading(
    "password_hashes_abandoned_total",
    "argon2id hashes and verifies dropped unrun because their caller had gone",
    () => hasher.limiter.abandoned,
  );

  return createServiceApp({
    service: "auth-api",
    config,
    logger,
    metrics,
    readiness: {
      // A real sign-and-verify round trip with the loaded keys.
      signingKey: async () =>
        tokenService.verifies(await tokenService.issue("readiness-probe", "readiness-probe", ["pwd"])),
    },
    documentation: {
      info: {
        title: "auth-api",
        version: "1.0.0",
        description: "Internal service: hashes passwords (argon2id) and issues EdDSA JWTs for users-api.",
      },
      components: {
        securitySchemes: {
          internalToken: { type: "http", scheme: "bearer", description: "The shared INTERNAL_TOKEN" },
        },
      },
    },
    links: authLinks,
    monotonic,
  })
    .use(jwks(keys))
    .use(hashing({ hasher, internalToken: config.INTERNAL_TOKEN }))
    .use(tokens({ hasher, tokenService, internalToken: config.INTERNAL_TOKEN }));
}

/**
 * auth-api composed from its config: keys loaded, hasher made (with its dummy hash), app built. The entry
 * point and the tests of both services build it this way; `keys` and `hasher` come along for tests to inspect.
 */
export async function buildAuthApi(config: AuthConfig, logger: Logger, { clock, monotonic }: AuthClocks) {
  const [keys, hasher] = await Promise.all([loadKeys(config), createHasher(config, monotonic)]);
  return { app: createApp({ config, keys, hasher, logger, clock, monotonic }), keys, hasher };
}
