import { createMetrics, createServiceApp, type Logger } from "@accounts/shared";
import type { Connection } from "mongoose";
import type { AuthClient } from "./auth-client/client.ts";
import type { UsersConfig } from "./config.ts";
import { usersCollection } from "./users/collection.ts";
import { users } from "./users/index.ts";
import { usersLinks } from "./users/links.ts";
import { createUsersService } from "./users/service.ts";

export interface UsersAppDeps {
  /** A mongoose connection whose `users` collection `prepareUsersCollection` has prepared. */
  db: Connection;
  authClient: AuthClient;
  config: UsersConfig;
  logger: Logger;
}

/** The users-api app, ready to `listen` or to `handle` requests in tests. */
export function createApp({ db, authClient, config, logger }: UsersAppDeps) {
  return createServiceApp({
    service: "users-api",
    config,
    logger,
    metrics: createMetrics(),
    readiness: {
      mongodb: async (signal) => (await db.db?.command({ ping: 1 }, { signal }))?.ok === 1,
      authApi: (signal) => authClient.ready(crypto.randomUUID(), signal),
    },
    documentation: {
      info: {
        title: "users-api",
        version: "1.0.0",
        description: "Sign up, log in, read and delete your account. Errors are RFC 9457 problem+json.",
      },
      components: {
        securitySchemes: {
          bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "The token from POST /login" },
        },
      },
    },
    links: usersLinks,
  }).use(users(createUsersService(usersCollection(db), authClient)));
}

export type UsersApp = ReturnType<typeof createApp>;
