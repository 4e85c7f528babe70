import { createLogger } from "../src/index.ts";

/**
 * A logger whose JSON lines land in `lines`, parsed, for asserting what was (not) logged. Test helper for
 * every suite, not exported from the package index. At debug level, so checks for secrets see every line.
 */
export function captureLogger(service = "test") {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(
    { level: "debug", service },
    { write: (line: string) => void lines.push(JSON.parse(line)) },
  );
  return { logger, lines };
}
