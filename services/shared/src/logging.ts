import pino, { type DestinationStream, type Logger } from "pino";
import type { LogLevel } from "./limits.ts";

export type { LogLevel } from "./limits.ts";

// Handlers never log bodies or headers; these paths are the second line of defence should one slip in.
const SECRET_KEYS = [
  "password",
  "newPassword",
  "hashedPassword",
  "hashed",
  "rehashed",
  "token",
  "authorization",
  "cookie",
  "INTERNAL_TOKEN",
  "JWT_SIGNING_KEY",
  "MONGODB_URI",
  "SMTP_URL",
];
const REDACT_PATHS = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);

/**
 * JSON-lines logger (pino: the fast, well-kept structured logger for Node and Bun) with secret fields
 * censored. `destination` defaults to stdout; tests pass a stream to read the lines.
 */
export const createLogger = (
  { level, service }: { level: LogLevel; service: string },
  destination?: DestinationStream,
): Logger =>
  pino(
    {
      level,
      base: { service },
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );

export type { Logger } from "pino";
