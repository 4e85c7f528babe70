import { availableParallelism } from "node:os";
import { commonEnv, InternalTokenSchema, loadConfig, Type } from "@accounts/shared/config";
import { HASH_QUEUE_PER_SLOT, MIN_HASH_COST } from "@accounts/shared/limits";
import type { Static } from "elysia";

/** auth-api's environment; `bun run docs:config` writes docs/configuration.md's table and `.env.example` from it. */
export const AuthConfigSchema = Type.Object({
  ...commonEnv(3001),
  INTERNAL_TOKEN: InternalTokenSchema,
  JWT_SIGNING_KEY: Type.String({
    minLength: 1,
    description:
      "Secret: private Ed25519 JWK with a kid that signs the tokens, as one line of JSON; `bun services/auth-api/src/keys/generate.ts` makes one",
  }),
  JWT_PREVIOUS_PUBLIC_KEYS: Type.String({
    default: "[]",
    description:
      "JSON array of earlier keys' public JWKs, still published and accepted so a rotation logs nobody out; private parts in it are never published",
  }),
  // 15 minutes: access tokens are checked against their session on every request, so this bounds only how long a
  // token stolen in transit stays useful; refresh tokens keep the user logged in (docs/security.md, "Sessions").
  JWT_TTL_SECONDS: Type.Integer({ minimum: 60, default: 900, description: "Access token lifetime" }),
  HASH_MEMORY_KIB: Type.Integer({
    minimum: MIN_HASH_COST.memoryKiB,
    default: MIN_HASH_COST.memoryKiB,
    description: "argon2id memory cost per hash (OWASP's minimum is the default and the floor)",
  }),
  HASH_TIME_COST: Type.Integer({
    minimum: MIN_HASH_COST.timeCost,
    default: MIN_HASH_COST.timeCost,
    description: "argon2id passes (OWASP's minimum is the default and the floor)",
  }),
  HASH_CONCURRENCY: Type.Integer({
    minimum: 1,
    default: availableParallelism(),
    documentedDefault: "the number of CPU cores",
    description: "Hashes running at once, each holding HASH_MEMORY_KIB",
  }),
  // Unset means HASH_QUEUE_PER_SLOT × HASH_CONCURRENCY, which a static schema default cannot express.
  HASH_QUEUE_LIMIT: Type.Optional(
    Type.Integer({
      minimum: 0,
      documentedDefault: `${HASH_QUEUE_PER_SLOT} × HASH_CONCURRENCY`,
      description:
        "Hashes waiting for a slot, beyond which requests get 503 with Retry-After; a waiting hash holds no argon2 memory",
    }),
  ),
});

export type AuthConfig = Static<typeof AuthConfigSchema>;

/** Validated auth-api config from the environment; throws a ConfigError naming each bad variable. */
export const loadAuthConfig = (env: Record<string, string | undefined> = process.env) =>
  loadConfig(AuthConfigSchema, env);
