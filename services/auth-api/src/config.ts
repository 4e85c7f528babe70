import { availableParallelism } from 'node:os'
import { commonEnv, loadConfig, Type } from '@accounts/shared'
import type { Static } from 'elysia'

/** OWASP's minimum argon2id cost (19 MiB, 2 passes); env input may not go below it. */
export const MIN_HASH_MEMORY_KIB = 19456
export const MIN_HASH_TIME_COST = 2

/** auth-api's environment; `.env.example` describes each variable. */
export const AuthConfigSchema = Type.Object({
  ...commonEnv(3001),
  INTERNAL_TOKEN: Type.String({ minLength: 32 }),
  JWT_SIGNING_KEY: Type.String({ minLength: 1 }),
  JWT_PREVIOUS_PUBLIC_KEYS: Type.String({ default: '[]' }),
  JWT_TTL_SECONDS: Type.Integer({ minimum: 60, default: 3600 }),
  HASH_MEMORY_KIB: Type.Integer({ minimum: MIN_HASH_MEMORY_KIB, default: MIN_HASH_MEMORY_KIB }),
  HASH_TIME_COST: Type.Integer({ minimum: MIN_HASH_TIME_COST, default: MIN_HASH_TIME_COST }),
  HASH_CONCURRENCY: Type.Integer({ minimum: 1, default: availableParallelism() }),
  // Unset means twice HASH_CONCURRENCY, which a static schema default cannot express.
  HASH_QUEUE_LIMIT: Type.Optional(Type.Integer({ minimum: 0 })),
})

export type AuthConfig = Static<typeof AuthConfigSchema>

/** Validated auth-api config from the environment; throws a ConfigError naming each bad variable. */
export const loadAuthConfig = (env: Record<string, string | undefined> = process.env) => loadConfig(AuthConfigSchema, env)
