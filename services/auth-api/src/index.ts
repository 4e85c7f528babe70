import { createLogger, listen, runService } from "@accounts/shared";
import { buildAuthApi } from "./app.ts";
import { loadAuthConfig } from "./config.ts";

await runService(async () => {
  const config = loadAuthConfig();
  const logger = createLogger({ level: config.LOG_LEVEL, service: "auth-api" });
  const { app } = await buildAuthApi(config, logger, { clock: Date.now, monotonic: () => performance.now() });
  listen(app, { port: config.PORT, logger });
});
