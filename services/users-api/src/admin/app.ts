import { createServiceApp, type Logger, type Metrics, type ReadinessCheck } from "@accounts/shared";
import type { AuditService } from "../audit/service.ts";
import type { clientAddress } from "../client-address/index.ts";
import type { UsersConfig } from "../config.ts";
import { admin } from "./index.ts";
import type { AdminService } from "./service.ts";

/**
 * The admin listener (ADMIN_PORT): the operators' routes and nothing of the public API, with the base every service
 * app has (problem+json, request logs, /health, /ready, /metrics) and an OpenAPI document of its own.
 */
export const createAdminApp = ({
  service,
  token,
  audit,
  client,
  config,
  logger,
  metrics,
  readiness,
  monotonic,
}: {
  service: AdminService;
  /** ADMIN_TOKEN. */
  token: string;
  audit: AuditService;
  client: ReturnType<typeof clientAddress>;
  config: UsersConfig;
  logger: Logger;
  metrics: Metrics;
  readiness: Record<string, ReadinessCheck>;
  /** Milliseconds that never go back: how long each request took. */
  monotonic: () => number;
}) =>
  createServiceApp({
    service: "users-api-admin",
    config,
    logger,
    metrics,
    readiness,
    monotonic,
    documentation: {
      info: {
        title: "users-api admin",
        version: "1.0.0",
        description:
          "What operators do to accounts: find, inspect, disable, log out, reset the second factor or the password, delete; and the audit trail. Served on ADMIN_PORT only, never routed from the internet. Errors are RFC 9457 problem+json.",
      },
      components: {
        securitySchemes: {
          adminToken: { type: "http", scheme: "bearer", description: "The ADMIN_TOKEN" },
        },
      },
    },
    links: [],
  }).use(admin({ service, token, audit, client }));
