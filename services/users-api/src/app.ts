import { createMetrics, createServiceApp, type Logger } from "@accounts/shared";
import type { Connection } from "mongoose";
import type { AuthClient } from "./auth-client/client.ts";
import { clientAddress } from "./client-address/index.ts";
import { createClientAddressResolver } from "./client-address/service.ts";
import type { UsersConfig } from "./config.ts";
import { deviceTokensCollection, throttlesCollection } from "./throttling/collection.ts";
import { throttlingRules } from "./throttling/rules.ts";
import { createThrottling } from "./throttling/service.ts";
import { password } from "./password/index.ts";
import { createPasswordService } from "./password/service.ts";
import { sessionsCollection } from "./sessions/collection.ts";
import { sessions } from "./sessions/index.ts";
import { createSessionService } from "./sessions/service.ts";
import { usersCollection } from "./users/collection.ts";
import { users as usersFeature } from "./users/index.ts";
import { createUsersService } from "./users/service.ts";

export interface UsersAppDeps {
  /** A mongoose connection whose collections `prepareUsersCollection`, `prepareThrottlingCollections` and
   * `prepareSessionsCollection` have prepared. */
  db: Connection;
  authClient: AuthClient;
  config: UsersConfig;
  logger: Logger;
  /** Milliseconds since the epoch, for session expiry, the refresh grace window and the throttling windows and waits; tests pass one they can move on. */
  clock?: () => number;
}

/** The users-api app, ready to `listen` or to `handle` requests in tests. */
export function createApp({ db, authClient, config, logger, clock = Date.now }: UsersAppDeps) {
  const metrics = createMetrics();
  const throttled = metrics.counter("throttled_attempts_total", "Attempts refused with 429, by rule", ["rule"]);
  const throttling = createThrottling({
    throttles: throttlesCollection(db),
    deviceTokens: deviceTokensCollection(db),
    rules: throttlingRules(config),
    now: clock,
    onThrottled: (rule) => throttled({ rule }),
  });
  const users = usersCollection(db);
  const sessionService = createSessionService({
    sessions: sessionsCollection(db),
    users,
    auth: authClient,
    config,
    metrics,
    logger,
    now: clock,
  });
  const userService = createUsersService({ users, auth: authClient, sessions: sessionService, throttling });
  const { authenticate } = userService;
  const client = clientAddress(createClientAddressResolver(config.TRUSTED_PROXIES));
  return createServiceApp({
    service: "users-api",
    config,
    logger,
    metrics,
    readiness: {
      mongodb: async (signal) => (await db.db?.command({ ping: 1 }, { signal }))?.ok === 1,
      authApi: (signal) => authClient.ready(crypto.randomUUID(), signal),
    },
    documentation: {
      info: {
        title: "users-api",
        version: "1.0.0",
        description:
          "Sign up, log in, refresh, log out, list and end sessions, change your password, read and delete your account. Errors are RFC 9457 problem+json.",
      },
      components: {
        securitySchemes: {
          bearer: {
            type: "http",
            scheme: "bearer",
            bearerFormat: "JWT",
            description: "The access token from POST /login or POST /refresh",
          },
        },
      },
    },
  })
    .use(usersFeature(userService, client))
    .use(sessions({ service: sessionService, authenticate, throttling, client }))
    .use(
      password({ service: createPasswordService({ users, auth: authClient, sessions: sessionService }), authenticate }),
    );
}

export type UsersApp = ReturnType<typeof createApp>;
