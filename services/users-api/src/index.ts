import { createLogger, listen, runService } from "@accounts/shared";
import mongoose from "mongoose";
import { createApps } from "./app.ts";
import { createAuthClient } from "./auth-client/client.ts";
import { loadUsersConfig } from "./config.ts";
import { mongodbOptions } from "./mongodb.ts";
import { prepareDatabase } from "./prepare.ts";

await runService(async () => {
  const config = loadUsersConfig();
  const logger = createLogger({ level: config.LOG_LEVEL, service: "users-api" });
  const db = await mongoose.createConnection(config.MONGODB_URI, mongodbOptions).asPromise();
  await prepareDatabase(db, logger);
  const authClient = createAuthClient({
    url: config.AUTH_API_URL,
    internalToken: config.INTERNAL_TOKEN,
    timeoutMs: config.AUTH_API_TIMEOUT_MS,
    logger,
    clock: Date.now,
  });
  const { app, admin } = createApps({
    db,
    authClient,
    config,
    logger,
    clock: Date.now,
    monotonic: () => performance.now(),
  });
  const onClose: (() => unknown)[] = [() => db.close()];
  if (admin) {
    admin.listen({ port: config.ADMIN_PORT });
    logger.info({ port: admin.server?.port }, "admin listening");
    // Stopped after the public port, before the database closes: its requests in flight finish too.
    onClose.unshift(() => admin.stop(false));
  } else logger.warn({}, "ADMIN_TOKEN is not set: the admin listener (ADMIN_PORT) is not started");
  listen(app, { port: config.PORT, logger, onClose });
});
