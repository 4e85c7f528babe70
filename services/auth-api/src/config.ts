import { availableParallelism } from "node:os";
import { commonEnv, InternalTokenSchema, loadConfig, Type } from "@accounts/shared/config";
import { HASH_QUEUE_PER_SLOT, MIN_HASH_COST } from "@accounts/shared/limits";
import type { Static } from "elysia";

/** auth-api's environment; `.env.example` describes each variable. */
export const AuthConfigSchema = Type.Object({
  ...commonEnv(3001),
  INTERNAL_TOKEN: InternalTokenSchema,
  JWT_SIGNING_KEY: Type.String({ minLength: 1 }),
  JWT_PREVIOUS_PUBLIC_KEYS: Type.String({ default: "[]" }),
  // 15 minutes: access tokens are checked against their session on every request, so this bounds only how long a
  // token stolen in transit stays useful; refresh tokens keep the user logged in (README, "Sessions").
  JWT_TTL_SECONDS: Type.Integer({ minimum: 60, default: 900 }),
  HASH_MEMORY_KIB: Type.Integer({ minimum: MIN_HASH_COST.memoryKiB, default: MIN_HASH_COST.memoryKiB }),
  HASH_TIME_COST: Type.Integer({ minimum: MIN_HASH_COST.timeCost, default: MIN_HASH_COST.timeCost }),
  HASH_CONCURRENCY: Type.Integer({
    minimum: 1,
    default: availableParallelism(),
    description: "Hashes running at once, each holding HASH_MEMORY_KIB",
  }),
  // Unset means HASH_QUEUE_PER_SLOT × HASH_CONCURRENCY, which a static schema default cannot express.
  HASH_QUEUE_LIMIT: Type.Optional(
    Type.Integer({
      minimum: 0,
      description: `Hashes waiting for a slot, beyond which requests get 503 (default: ${HASH_QUEUE_PER_SLOT} × HASH_CONCURRENCY)`,
    }),
  ),
});

export type AuthConfig = Static<typeof AuthConfigSchema>;

/** Validated auth-api config from the environment; throws a ConfigError naming each bad variable. */
export const loadAuthConfig = (env: Record<string, string | undefined> = process.env) =>
  loadConfig(AuthConfigSchema, env);
