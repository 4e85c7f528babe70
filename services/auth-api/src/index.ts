import { createLogger, listen, runService } from "@accounts/shared";
import { createApp } from "./app.ts";
import { loadAuthConfig } from "./config.ts";
import { createHasher } from "./hashing/service.ts";
import { loadKeys } from "./keys/load.ts";

await runService(async () => {
  const config = loadAuthConfig();
  const logger = createLogger({ level: config.LOG_LEVEL, service: "auth-api" });
  const [keys, hasher] = await Promise.all([loadKeys(config), createHasher(config)]);
  listen(createApp({ config, keys, hasher, logger }), { port: config.PORT, logger });
});
