import { commonEnv, loadConfig, Type } from "@accounts/shared";
import type { Static } from "elysia";

/** users-api's environment; `.env.example` describes each variable. */
export const UsersConfigSchema = Type.Object({
  ...commonEnv(3000),
  MONGODB_URI: Type.String({ pattern: "^mongodb(\\+srv)?://" }),
  AUTH_API_URL: Type.String({ pattern: "^https?://", default: "http://localhost:3001" }),
  INTERNAL_TOKEN: Type.String({ minLength: 32 }),
  AUTH_API_TIMEOUT_MS: Type.Integer({ minimum: 1, default: 5000 }),
  PUBLIC_URL: Type.Optional(
    Type.String({
      pattern: "^https?://[^/?#]+(/[^?#]*)?$",
      description: "Where the links in emails point (default http://localhost:<PORT>)",
    }),
  ),
  // Required, no default: a deployment that cannot send mail would strand every user who forgets a password, and
  // the dev and test harnesses always start a mail server of their own.
  SMTP_URL: Type.String({ pattern: "^smtps?://", description: "smtp://user:pass@host:587, or smtps:// for TLS" }),
  MAIL_FROM: Type.String({ pattern: "@", description: "Sender of every email, e.g. Accounts <no-reply@example.com>" }),
  REQUIRE_VERIFIED_EMAIL: Type.Boolean({
    default: false,
    description: "Refuse login (403) to accounts whose address is not verified",
  }),
  CORS_ORIGINS: Type.String({
    default: "",
    pattern: "^(https?://[^/,\\s]+(\\s*,\\s*https?://[^/,\\s]+)*)?$",
    description: "Comma-separated origins whose pages may call the API, e.g. https://app.example.com",
  }),
});

export type UsersConfig = Static<typeof UsersConfigSchema> & { PUBLIC_URL: string };

/** Validated users-api config from the environment; throws a ConfigError naming each bad variable. */
export function loadUsersConfig(env: Record<string, string | undefined> = process.env): UsersConfig {
  const config = loadConfig(UsersConfigSchema, env);
  // The address a service run by hand on its own port is reached at; deployments set their public one.
  return { ...config, PUBLIC_URL: (config.PUBLIC_URL ?? `http://localhost:${config.PORT}`).replace(/\/$/, "") };
}
