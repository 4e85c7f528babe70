import { availableParallelism } from "node:os";
import { commonEnv, loadConfig, Type } from "@accounts/shared";
import type { Static } from "elysia";

/** OWASP's minimum argon2id cost (19 MiB, 2 passes); env input may not go below it. */
export const MIN_HASH_MEMORY_KIB = 19456;
export const MIN_HASH_TIME_COST = 2;

/** auth-api's environment; `.env.example` describes each variable. */
export const AuthConfigSchema = Type.Object({
  ...commonEnv(3001),
  INTERNAL_TOKEN: Type.String({ minLength: 32 }),
  JWT_SIGNING_KEY: Type.String({ minLength: 1 }),
  JWT_PREVIOUS_PUBLIC_KEYS: Type.String({ default: "[]" }),
  // 15 minutes: access tokens are checked against their session on every request, so this bounds only how long a
  // token stolen in transit stays useful; refresh tokens keep the user logged in (README, "Sessions").
  JWT_TTL_SECONDS: Type.Integer({ minimum: 60, default: 900 }),
  HASH_MEMORY_KIB: Type.Integer({ minimum: MIN_HASH_MEMORY_KIB, default: MIN_HASH_MEMORY_KIB }),
  HASH_TIME_COST: Type.Integer({ minimum: MIN_HASH_TIME_COST, default: MIN_HASH_TIME_COST }),
  HASH_CONCURRENCY: Type.Integer({
    minimum: 1,
    default: availableParallelism(),
    description: "Hashes running at once, each holding HASH_MEMORY_KIB",
  }),
  // Unset means HASH_QUEUE_PER_SLOT × HASH_CONCURRENCY, which a static schema default cannot express.
  HASH_QUEUE_LIMIT: Type.Optional(
    Type.Integer({
      minimum: 0,
      description: "Hashes waiting for a slot, beyond which requests get 503 (default: 8 × HASH_CONCURRENCY)",
    }),
  ),
});

/**
 * Default queue length per hashing slot. A waiting hash holds no argon2 memory (only running ones do), so
 * the queue can be long: 8 per slot lets a burst such as ten sign-ups at once on two cores wait a few
 * hundred milliseconds instead of getting 503, while still bounding how long a request can wait.
 */
export const HASH_QUEUE_PER_SLOT = 8;

export type AuthConfig = Static<typeof AuthConfigSchema>;

/** Validated auth-api config from the environment; throws a ConfigError naming each bad variable. */
export const loadAuthConfig = (env: Record<string, string | undefined> = process.env) =>
  loadConfig(AuthConfigSchema, env);
