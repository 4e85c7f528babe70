import { createMetrics, createServiceApp, type Logger } from "@accounts/shared";
import type { Connection } from "mongoose";
import type { AuthClient } from "./auth-client/client.ts";
import type { UsersConfig } from "./config.ts";
import { cors, corsOrigins } from "./cors/index.ts";
import { verificationTokensCollection } from "./email-verification/collection.ts";
import { emailVerification } from "./email-verification/index.ts";
import { createEmailVerificationService } from "./email-verification/service.ts";
import { mailQuotasCollection } from "./mail/collection.ts";
import { createMailQuota } from "./mail/quota.ts";
import { createMailer } from "./mail/service.ts";
import { pages } from "./pages/index.ts";
import { commonPasswords } from "./password-policy/common-passwords.ts";
import { createPasswordPolicy } from "./password-policy/service.ts";
import { resetTokensCollection } from "./password-reset/collection.ts";
import { passwordReset } from "./password-reset/index.ts";
import { createPasswordResetService } from "./password-reset/service.ts";
import { usersCollection } from "./users/collection.ts";
import { users } from "./users/index.ts";
import { createUsersService } from "./users/service.ts";

export interface UsersAppDeps {
  /**
   * A mongoose connection whose `users` collection `prepareUsersCollection` has prepared, and whose expiring
   * collections `prepareExpiringCollections` has.
   */
  db: Connection;
  authClient: AuthClient;
  config: UsersConfig;
  logger: Logger;
  /** Waits between mail delivery attempts (MAIL_RETRY_DELAYS_MS); tests shorten them. */
  mailRetryDelaysMs?: readonly number[];
}

/** The users-api app, ready to `listen` or to `handle` requests in tests. */
export function createApp({ db, authClient, config, logger, mailRetryDelaysMs }: UsersAppDeps) {
  const metrics = createMetrics();
  const mailer = createMailer({
    smtpUrl: config.SMTP_URL,
    from: config.MAIL_FROM,
    logger,
    metrics,
    retryDelaysMs: mailRetryDelaysMs,
  });
  const quota = createMailQuota(mailQuotasCollection(db));
  const passwordPolicy = createPasswordPolicy(commonPasswords());
  const userDocuments = usersCollection(db);
  const verification = createEmailVerificationService({
    tokens: verificationTokensCollection(db),
    users: userDocuments,
    mailer,
    quota,
    publicUrl: config.PUBLIC_URL,
    logger,
  });
  const usersService = createUsersService(userDocuments, authClient, {
    passwordPolicy,
    emailVerification: verification,
    requireVerifiedEmail: config.REQUIRE_VERIFIED_EMAIL,
  });
  const reset = createPasswordResetService({
    tokens: resetTokensCollection(db),
    users: userDocuments,
    auth: authClient,
    passwordPolicy,
    // Until sessions (refresh tokens) exist, ending them means refusing the access tokens issued so far.
    endAllSessions: usersService.endAllSessions,
    mailer,
    quota,
    publicUrl: config.PUBLIC_URL,
    logger,
  });

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
          "Sign up, verify your address, log in, reset a forgotten password, read and delete your account. Errors are RFC 9457 problem+json.",
      },
      components: {
        securitySchemes: {
          bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "The token from POST /login" },
        },
      },
    },
  })
    .use(cors(corsOrigins(config.CORS_ORIGINS)))
    .use(users(usersService))
    .use(emailVerification(verification, usersService.authenticate))
    .use(passwordReset(reset))
    .use(pages);
}

export type UsersApp = ReturnType<typeof createApp>;
