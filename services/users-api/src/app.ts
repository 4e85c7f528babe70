import { createMetrics, createServiceApp, type Logger, type ReadinessCheck } from "@accounts/shared";
import type { Connection } from "mongoose";
import { createAdminApp } from "./admin/app.ts";
import { createAdminService } from "./admin/service.ts";
import { auditEventsCollection } from "./audit/collection.ts";
import { audit as auditFeature } from "./audit/index.ts";
import { createAuditService } from "./audit/service.ts";
import type { AuthClient } from "./auth-client/client.ts";
import { clientAddress } from "./client-address/index.ts";
import { createClientAddressResolver } from "./client-address/service.ts";
import type { UsersConfig } from "./config.ts";
import { cors, corsOrigins } from "./cors/index.ts";
import { emailChangeTokensCollection } from "./email-change/collection.ts";
import { emailChange } from "./email-change/index.ts";
import { createEmailChangeService } from "./email-change/service.ts";
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
import { mfa } from "./mfa/index.ts";
import { createPresence } from "./mfa/presence.ts";
import { createSecretBox } from "./mfa/secret-box.ts";
import { createMfaService } from "./mfa/service.ts";
import { throttlesCollection } from "./throttling/collection.ts";
import { throttlingRules } from "./throttling/rules.ts";
import { createThrottling } from "./throttling/service.ts";
import { password } from "./password/index.ts";
import { createPasswordService } from "./password/service.ts";
import { sessions } from "./sessions/index.ts";
import { createSessionService } from "./sessions/service.ts";
import { usersCollection } from "./users/collection.ts";
import { users as usersFeature } from "./users/index.ts";
import { usersLinks } from "./users/links.ts";
import { createUsersService } from "./users/service.ts";

export interface UsersAppDeps {
  /** A mongoose connection whose collections `prepareDatabase` (prepare.ts) has prepared. */
  db: Connection;
  authClient: AuthClient;
  config: UsersConfig;
  logger: Logger;
  /**
   * Milliseconds since the epoch, for every time-dependent decision: session expiry, the refresh grace window, the
   * throttling windows and waits, link expiry, the mail quota, TOTP steps, audit dates. Only index.ts passes the real
   * clock; tests pass one they can move on.
   */
  clock: () => number;
  /** Milliseconds that never go back (performance.now in index.ts): how long each request took. */
  monotonic: () => number;
  /** Waits between mail delivery attempts; tests shorten them. */
  mailRetryDelaysMs?: readonly number[];
}

/** The users-api app, ready to `listen` or to `handle` requests in tests. */
export const createApp = (deps: UsersAppDeps) => createApps(deps).app;

/**
 * The public app and, when ADMIN_TOKEN is set, the admin app (for ADMIN_PORT), built on the same services. The public
 * app has no /admin route: the operators' routes are reachable only where the admin port is.
 */
export function createApps({ db, authClient, config, logger, clock, monotonic, mailRetryDelaysMs }: UsersAppDeps) {
  const metrics = createMetrics();
  const mailer = createMailer({
    smtpUrl: config.SMTP_URL,
    from: config.MAIL_FROM,
    logger,
    metrics,
    retryDelaysMs: mailRetryDelaysMs,
  });
  const quota = createMailQuota(mailQuotasCollection(db), clock);
  const passwordPolicy = createPasswordPolicy(commonPasswords());
  const throttled = metrics.counter("throttled_attempts_total", "Attempts refused with 429, by rule", ["rule"]);
  const throttling = createThrottling({
    throttles: throttlesCollection(db),
    rules: throttlingRules(config),
    now: clock,
    onThrottled: (rule) => throttled({ rule }),
  });
  const users = usersCollection(db);
  const audit = createAuditService({
    events: auditEventsCollection(db),
    logger,
    metrics,
    now: clock,
    retentionDays: config.AUDIT_RETENTION_DAYS,
  });
  const sessionService = createSessionService({
    users,
    auth: authClient,
    config,
    metrics,
    logger,
    audit,
    now: clock,
  });
  const verification = createEmailVerificationService({
    tokens: verificationTokensCollection(db),
    users,
    mailer,
    quota,
    publicUrl: config.PUBLIC_URL,
    logger,
    now: clock,
  });
  const box = createSecretBox({
    current: Buffer.from(config.MFA_ENCRYPTION_KEY, "base64"),
    previous: config.MFA_PREVIOUS_ENCRYPTION_KEYS.split(",")
      .map((key) => key.trim())
      .filter(Boolean)
      .map((key) => Buffer.from(key, "base64")),
  });
  const presence = createPresence({ users, auth: authClient, throttling, box, now: clock });
  const mfaService = createMfaService({
    users,
    box,
    presence,
    sessions: sessionService,
    throttling,
    auth: authClient,
    mailer,
    audit,
    issuer: config.TOTP_ISSUER,
    now: clock,
  });
  const userService = createUsersService({
    users,
    auth: authClient,
    sessions: sessionService,
    throttling,
    passwordPolicy,
    emailVerification: verification,
    mfa: mfaService,
    presence,
    audit,
    requireVerifiedEmail: config.REQUIRE_VERIFIED_EMAIL,
    now: clock,
  });
  const { authenticate } = userService;
  const reset = createPasswordResetService({
    tokens: resetTokensCollection(db),
    users,
    auth: authClient,
    passwordPolicy,
    endAllSessions: sessionService.endAllOnPasswordReset,
    replaceDeviceTokens: throttling.passwordReplaced,
    mailer,
    quota,
    publicUrl: config.PUBLIC_URL,
    logger,
    audit,
    now: clock,
  });
  const emailChangeService = createEmailChangeService({
    tokens: emailChangeTokensCollection(db),
    users,
    presence,
    sessions: sessionService,
    throttling,
    passwordReset: reset,
    mailer,
    quota,
    publicUrl: config.PUBLIC_URL,
    logger,
    now: clock,
  });
  const client = clientAddress(createClientAddressResolver(config.TRUSTED_PROXIES));
  const readiness: Record<string, ReadinessCheck> = {
    mongodb: async (signal) => (await db.db?.command({ ping: 1 }, { signal }))?.ok === 1,
    authApi: (signal) => authClient.ready(crypto.randomUUID(), signal),
  };
  const app = createServiceApp({
    service: "users-api",
    config,
    logger,
    metrics,
    readiness,
    documentation: {
      info: {
        title: "users-api",
        version: "1.0.0",
        description:
          "Sign up, verify your address, log in, refresh, log out, list and end sessions, change or reset your password, change your address, read and delete your account. Errors are RFC 9457 problem+json.",
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
    links: usersLinks,
    monotonic,
  })
    .use(cors(corsOrigins(config.CORS_ORIGINS)))
    // Recorded events are buffered: stored before the connection closes (index.ts closes it after the app stops).
    .onStop(() => audit.flush())
    .use(usersFeature({ service: userService, throttling, client, audit }))
    .use(sessions({ service: sessionService, authenticate, throttling, client, audit }))
    .use(
      password({
        service: createPasswordService({
          users,
          auth: authClient,
          sessions: sessionService,
          throttling,
          presence,
          passwordPolicy,
          mailer,
        }),
        authenticate,
        throttling,
        client,
        audit,
      }),
    )
    .use(mfa({ service: mfaService, authenticate, throttling, client, audit }))
    .use(emailVerification({ service: verification, authenticate, throttling, client, audit }))
    .use(passwordReset({ service: reset, throttling, client }))
    .use(emailChange({ service: emailChangeService, authenticate, throttling, client, audit }))
    .use(auditFeature({ service: audit, authenticate }))
    .use(pages);
  const adminService = createAdminService({
    users: userService,
    sessions: sessionService,
    mfa: mfaService,
    throttling,
    passwordReset: reset,
  });
  const admin =
    config.ADMIN_TOKEN === undefined
      ? undefined
      : createAdminApp({
          service: adminService,
          token: config.ADMIN_TOKEN,
          audit,
          client,
          config,
          logger,
          metrics,
          readiness,
          monotonic,
        });
  return { app, admin };
}

export type UsersApp = ReturnType<typeof createApp>;
