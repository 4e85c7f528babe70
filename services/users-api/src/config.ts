import { commonEnv, InternalTokenSchema, loadConfig, Type } from "@accounts/shared/config";
import type { Static } from "elysia";

// The throttling defaults and their reasons: docs/security.md, "Abuse protection".
// 32 bytes in base64: 43 characters and one "=".
const BASE64_KEY = "[A-Za-z0-9+/]{43}=";
const limit = (fallback: number, description: string) => Type.Integer({ minimum: 1, default: fallback, description });

/** users-api's environment; `bun run docs:config` writes docs/configuration.md's table and `.env.example` from it. */
export const UsersConfigSchema = Type.Object({
  ...commonEnv(3000),
  MONGODB_URI: Type.String({
    pattern: "^mongodb(\\+srv)?://",
    description: "Secret: connection string of any MongoDB 6+ (or FerretDB), with the database name",
    examples: ["mongodb://localhost:27017/accounts"],
  }),
  AUTH_API_URL: Type.String({
    pattern: "^https?://",
    default: "http://localhost:3001",
    description: "Where users-api reaches auth-api",
  }),
  INTERNAL_TOKEN: InternalTokenSchema,
  AUTH_API_TIMEOUT_MS: Type.Integer({
    minimum: 1,
    default: 5000,
    description: "How long each call to auth-api (JWKS included) may take before the client gets 503",
  }),
  // Comma-separated CIDRs; each is parsed (and refused with a ConfigError if invalid) when the app is built.
  TRUSTED_PROXIES: Type.String({
    default: "",
    pattern: "^[\\s0-9A-Fa-f.:/,]*$",
    description:
      "Comma-separated CIDRs of the peers whose X-Forwarded-For is believed: the load balancer's own subnets, not the VPC's; empty: none",
  }),
  LOGINS_PER_CLIENT_PER_MINUTE: limit(20, "Login attempts per client"),
  SIGNUPS_PER_CLIENT_PER_HOUR: limit(10, "Sign-ups per client"),
  EMAIL_REQUESTS_PER_CLIENT_PER_HOUR: limit(
    5,
    "Password-forgot, verification-resend and email-change requests per client",
  ),
  REFRESHES_PER_CLIENT_PER_MINUTE: limit(60, "Refreshes per client"),
  PROOFS_PER_CLIENT_PER_MINUTE: limit(
    20,
    "Second-factor codes, sensitive actions' passwords and email-change links per client",
  ),
  LOGIN_FAILURES_BEFORE_DELAY: limit(
    5,
    "Consecutive failed logins of an account (or device) before each further attempt must wait",
  ),
  LOGIN_DELAY_BASE_MS: limit(1000, "First wait; it doubles per further failure"),
  LOGIN_DELAY_MAX_MS: limit(900_000, "Longest wait"),
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
    description:
      "How long a just-rotated refresh token still gets the session's current tokens (two tabs); after it, reuse ends the session",
  }),
  PUBLIC_URL: Type.Optional(
    Type.String({
      pattern: "^https?://[^/?#]+(/[^?#]*)?$",
      documentedDefault: "`http://localhost:<PORT>`",
      description:
        "Where the links in emails point (/verify-email#token=…): this service, or a front end of your own that reads the token from the fragment",
    }),
  ),
  // Required, no default: a deployment that cannot send mail would strand every user who forgets a password, and
  // the dev and test harnesses always start a mail server of their own.
  SMTP_URL: Type.String({
    pattern: "^smtps?://",
    description:
      "Secret: the mail server, smtp://user:pass@host:587 (STARTTLS when offered) or smtps://…:465 (TLS from the start)",
    examples: ["smtp://localhost:1025"],
  }),
  MAIL_FROM: Type.String({
    pattern: "@",
    description: "Sender of every email, an address your mail provider lets you send from",
    examples: ["Accounts <no-reply@example.com>"],
  }),
  REQUIRE_VERIFIED_EMAIL: Type.Boolean({
    default: false,
    description: "Refuse login (403, after a correct password) to accounts whose address is not verified",
  }),
  MFA_ENCRYPTION_KEY: Type.String({
    pattern: `^${BASE64_KEY}$`,
    description:
      "Secret: AES-256 key (32 bytes, base64) that seals TOTP secrets at rest; `bun run dev` makes one per run unless it is set, as it must be for a lasting database (MONGODB_URI)",
  }),
  MFA_PREVIOUS_ENCRYPTION_KEYS: Type.String({
    default: "",
    pattern: `^(${BASE64_KEY}(\\s*,\\s*${BASE64_KEY})*)?$`,
    description:
      "Comma-separated keys MFA_ENCRYPTION_KEY replaced: what they sealed still opens, and is sealed again when used",
  }),
  TOTP_ISSUER: Type.String({
    minLength: 1,
    maxLength: 64,
    pattern: "^[^:]+$",
    default: "Accounts",
    description: "The name authenticator apps show beside the address",
  }),
  AUDIT_RETENTION_DAYS: Type.Integer({
    minimum: 1,
    default: 90,
    description: "How long security events are kept (MongoDB's TTL index deletes them after; FerretDB keeps them)",
  }),
  ADMIN_PORT: Type.Integer({
    minimum: 0,
    maximum: 65535,
    default: 3002,
    description: "TCP port of the admin listener; never routed from the internet",
  }),
  // The internal token's rules: long enough to be unguessable, and carried as a Bearer token.
  ADMIN_TOKEN: Type.Optional(
    Type.String({
      minLength: InternalTokenSchema.minLength,
      pattern: InternalTokenSchema.pattern,
      description:
        "Secret: Bearer token of the admin listener's routes, of INTERNAL_TOKEN's characters; unset: no admin listener",
    }),
  ),
  CORS_ORIGINS: Type.String({
    default: "",
    pattern: "^(https?://[^/,\\s]+(\\s*,\\s*https?://[^/,\\s]+)*)?$",
    description: "Comma-separated origins whose pages may call the API (CORS, with credentials)",
    examples: ["https://app.example.com"],
  }),
});

export type UsersConfig = Static<typeof UsersConfigSchema> & { PUBLIC_URL: string };

/** Validated users-api config from the environment; throws a ConfigError naming each bad variable. */
export function loadUsersConfig(env: Record<string, string | undefined> = process.env): UsersConfig {
  const config = loadConfig(UsersConfigSchema, env);
  // The address a service run by hand on its own port is reached at; deployments set their public one.
  return { ...config, PUBLIC_URL: (config.PUBLIC_URL ?? `http://localhost:${config.PORT}`).replace(/\/$/, "") };
}
