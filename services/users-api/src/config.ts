import { commonEnv, loadConfig, Type } from "@accounts/shared/config";
import { INTERNAL_TOKEN_MIN_LENGTH } from "@accounts/shared/limits";
import type { Static } from "elysia";

/** users-api's environment; `.env.example` describes each variable. */
export const UsersConfigSchema = Type.Object({
  ...commonEnv(3000),
  MONGODB_URI: Type.String({ pattern: "^mongodb(\\+srv)?://" }),
  AUTH_API_URL: Type.String({ pattern: "^https?://", default: "http://localhost:3001" }),
  INTERNAL_TOKEN: Type.String({ minLength: INTERNAL_TOKEN_MIN_LENGTH }),
  AUTH_API_TIMEOUT_MS: Type.Integer({ minimum: 1, default: 5000 }),
});

export type UsersConfig = Static<typeof UsersConfigSchema>;

/** Validated users-api config from the environment; throws a ConfigError naming each bad variable. */
export const loadUsersConfig = (env: Record<string, string | undefined> = process.env) =>
  loadConfig(UsersConfigSchema, env);
