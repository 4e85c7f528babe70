import { Type as t, type Static, type TObject, type TProperties } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { BEARER_TOKEN_PATTERN } from "./bearer.ts";
import { INTERNAL_TOKEN_MIN_LENGTH, LOG_LEVELS } from "./limits.ts";

/** Plain TypeBox builder for config schemas (see below for why not Elysia's `t`). */
export { Type } from "@sinclair/typebox";

/** Thrown when the environment does not satisfy a service's config schema; the message names each bad variable, never its value. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

// Config schemas use plain TypeBox, not Elysia's `t`: Elysia's t.Integer also accepts integer-formatted
// strings with a default of 0, which would let a bad value through the validation below.

/** Env variables every service reads; spread into a service schema: `Type.Object({ ...commonEnv(3001), ... })`. */
export const commonEnv = (defaultPort: number) => ({
  PORT: t.Integer({ minimum: 0, maximum: 65535, default: defaultPort, description: "TCP port to listen on" }),
  LOG_LEVEL: t.Union(
    LOG_LEVELS.map((level) => t.Literal(level)),
    {
      default: "info",
      description: "Lowest log level written (JSON lines on stdout)",
    },
  ),
  BODY_LIMIT_BYTES: t.Integer({
    minimum: 1024,
    default: 65536,
    description: "Largest request body accepted (413 above)",
  }),
});

/**
 * The INTERNAL_TOKEN both services share. It travels as `Authorization: Bearer`, so a character outside RFC 6750's
 * b64token would make every call between the services fail to parse: refuse it at start instead.
 */
export const InternalTokenSchema = t.String({
  minLength: INTERNAL_TOKEN_MIN_LENGTH,
  pattern: `^${BEARER_TOKEN_PATTERN}$`,
  description:
    "Secret: the Bearer token users-api sends to auth-api, the same in both (letters, digits and -._~+/, optionally ending in =)",
});

/** Fields every service config has, whatever else its schema adds. */
export type CommonConfig = Static<TObject<ReturnType<typeof commonEnv>>>;

/**
 * Reads the schema's variables from `env`, applies defaults, coerces numbers and validates.
 * Empty strings count as unset so `PORT=` in a .env file falls back to the default.
 * Minimums in the schema guard env input only: tests build config objects directly.
 */
export function loadConfig<P extends TProperties>(
  schema: TObject<P>,
  env: Record<string, string | undefined> = process.env,
): Static<TObject<P>> {
  const input: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== "") input[key] = value;
  }
  const value = Value.Convert(schema, Value.Default(schema, input));
  const problems = [...Value.Errors(schema, value)].map((error) => {
    const name = error.path.split("/")[1] ?? "(config)";
    const choices = error.schema.anyOf?.map((option: { const?: unknown }) => option.const);
    const message = choices?.every((choice: unknown) => typeof choice === "string")
      ? `must be one of ${choices.join(", ")}`
      : error.message;
    return `${name}: ${input[name] === undefined ? "is required" : message}`;
  });
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n  ${[...new Set(problems)].join("\n  ")}`);
  return value as Static<TObject<P>>;
}
