import { problemResponses } from "@accounts/shared";
import { Elysia } from "elysia";
import { type Authenticate, bearer } from "../sessions/bearer.ts";
import { AUDIT_PAGE_LIMIT_DEFAULT, AuditEventPage, SecurityEventsQuery } from "./schemas.ts";
import type { AuditService } from "./service.ts";

export const audit = ({ service, authenticate }: { service: AuditService; authenticate: Authenticate }) =>
  new Elysia({ name: "audit", detail: { tags: ["users"] } })
    .use(bearer(authenticate))
    .get(
      "/user/security-events",
      ({ caller, query }) =>
        service.list({ userId: caller.userId, limit: query.limit ?? AUDIT_PAGE_LIMIT_DEFAULT, after: query.after }),
      {
        bearer: true,
        query: SecurityEventsQuery,
        response: { 200: AuditEventPage, ...problemResponses(401, 422, 503) },
        detail: {
          summary:
            "The token's user's security events, newest first: logins, sessions ended, password and address changes…",
          description:
            "Each with the client's IP address and user agent. Events are kept AUDIT_RETENTION_DAYS (default 90). " +
            "`next` pages on to older ones.",
          security: [{ bearer: [] }],
        },
      },
    );
