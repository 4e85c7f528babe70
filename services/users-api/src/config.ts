import { commonEnv, loadConfig, Type } from "@accounts/shared";
import type { Static } from "elysia";

/** users-api's environment; `.env.example` describes each variable. */
export const UsersConfigSchema = Type.Object({
  ...commonEnv(3000),
  MONGODB_URI: Type.String({ pattern: "^mongodb(\\+srv)?://" }),
  AUTH_API_URL: Type.String({ pattern: "^https?://", default: "http://localhost:3001" }),
  INTERNAL_TOKEN: Type.String({ minLength: 32 }),
  AUTH_API_TIMEOUT_MS: Type.Integer({ minimum: 1, default: 5000 }),
  SESSION_MAX_AGE_SECONDS: Type.Integer({
    minimum: 60,
    default: 30 * 24 * 3600,
    description: "A session ends this long after login",
  }),
  SESSION_IDLE_SECONDS: Type.Integer({
    minimum: 60,
    default: 7 * 24 * 3600,
    description: "…or this long after its last refresh",
  }),
  REFRESH_REUSE_GRACE_SECONDS: Type.Integer({
    minimum: 0,
    default: 10,
    description: "How long a just-rotated refresh token still gets the session's current tokens (two tabs)",
  }),
});

export type UsersConfig = Static<typeof UsersConfigSchema>;

/** Validated users-api config from the environment; throws a ConfigError naming each bad variable. */
export const loadUsersConfig = (env: Record<string, string | undefined> = process.env) =>
  loadConfig(UsersConfigSchema, env);
