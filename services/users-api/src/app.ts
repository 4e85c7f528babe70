import { createMetrics, createServiceApp, type Logger } from "@accounts/shared";
import type { Connection } from "mongoose";
import type { AuthClient } from "./auth-client/client.ts";
import type { UsersConfig } from "./config.ts";
import { password } from "./password/index.ts";
import { createPasswordService } from "./password/service.ts";
import { sessionsCollection } from "./sessions/collection.ts";
import { sessions } from "./sessions/index.ts";
import { createSessionService } from "./sessions/service.ts";
import { usersCollection } from "./users/collection.ts";
import { usersController } from "./users/index.ts";
import { usersService } from "./users/service.ts";

export interface UsersAppDeps {
  /** A mongoose connection whose `users` and `sessions` collections `prepareUsersCollection` and `prepareSessionsCollection` have prepared. */
  db: Connection;
  authClient: AuthClient;
  config: UsersConfig;
  logger: Logger;
  /** Milliseconds since the epoch, for session expiry and the refresh grace window; tests move it. */
  now?: () => number;
}

/** The users-api app, ready to `listen` or to `handle` requests in tests. */
export function createApp({ db, authClient, config, logger, now = Date.now }: UsersAppDeps) {
  const metrics = createMetrics();
  const users = usersCollection(db);
  const sessionService = createSessionService({
    sessions: sessionsCollection(db),
    users,
    auth: authClient,
    config,
    metrics,
    logger,
    now,
  });
  const userService = usersService(users, authClient, sessionService);
  const { authenticate } = userService;
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
    .use(usersController(userService))
    .use(sessions({ service: sessionService, authenticate }))
    .use(
      password({ service: createPasswordService({ users, auth: authClient, sessions: sessionService }), authenticate }),
    );
}

export type UsersApp = ReturnType<typeof createApp>;
