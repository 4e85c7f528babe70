import type { AnyElysia } from "elysia";
import { ConfigError } from "./config.ts";
import type { Logger } from "./logging.ts";

/**
 * How long a service keeps serving, not ready, between SIGTERM and closing its port. In Kubernetes the preStop
 * pause does this before the signal (k8s/src/pods.ts); this covers what runs without one, and readiness probes.
 */
const DRAIN_MS = 1_000;

/** Work to finish after the server stopped and before the process exits (e.g. closing MongoDB). */
type CloseHook = () => unknown;

/**
 * Listens on `port` and shuts down gracefully on SIGTERM/SIGINT: `/ready` turns 503 (the app's `draining`
 * state) for DRAIN_MS while it still serves, then it stops accepting connections, lets in-flight requests finish, runs `onClose` hooks in order and
 * exits 0 (1 if a hook failed).
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
    const store = app.store as { draining?: boolean };
    if ("draining" in store) store.draining = true;
    let exitCode = 0;
    try {
      // Still serving, but not ready, for a moment: whatever routes requests here sees /ready fail and stops,
      // and requests already on their way arrive and are answered instead of finding the port closed.
      await Bun.sleep(DRAIN_MS);
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
