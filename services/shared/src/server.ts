import type { AnyElysia } from "elysia";
import { ConfigError } from "./config.ts";
import type { Logger } from "./logging.ts";

/** Work to finish after the server stopped and before the process exits (e.g. closing MongoDB). */
type CloseHook = () => unknown;

/**
 * Listens on `port` and shuts down gracefully on SIGTERM/SIGINT: stop accepting connections, let
 * in-flight requests finish, run `onClose` hooks in order, exit 0 (1 if a hook failed).
 */
export function listen(
  app: AnyElysia,
  { port, logger, onClose = [] }: { port: number; logger: Logger; onClose?: CloseHook[] },
) {
  app.listen({ port });
  logger.info({ port: app.server?.port }, "listening");
  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    let exitCode = 0;
    try {
      await app.stop(false);
      for (const hook of onClose) await hook();
    } catch (error) {
      logger.error({ err: error }, "shutdown failed");
      exitCode = 1;
    }
    logger.info({ exitCode }, "stopped");
    logger.flush();
    process.exit(exitCode);
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
  return app.server!;
}

/**
 * Runs a service entry point; a startup failure prints one message and exits 1. A ConfigError
 * prints only its message, which names the bad variables without their values.
 */
export async function runService(start: () => unknown) {
  try {
    await start();
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  }
}
