import { problemResponses, requestContext } from "@accounts/shared";
import { ACCOUNT_DISABLED_PROBLEM } from "../problems.ts";
import { Elysia, t } from "elysia";
import { adminContext } from "../audit/context.ts";
import {
  AUDIT_PAGE_LIMIT_DEFAULT,
  AuditEventPage,
  type AuditEventType,
  AuditQuery,
  type AuditSubject,
} from "../audit/schemas.ts";
import type { AuditService } from "../audit/service.ts";
import type { clientAddress } from "../client-address/index.ts";
import { MailAccepted } from "../email-verification/schemas.ts";
import { AdminUserDetail, DisableRequest, UserPage, UserParams, UserSearch } from "./schemas.ts";
import type { AdminService } from "./service.ts";
import { adminToken } from "./token.ts";

const security = [{ adminToken: [] }];
const done = { 204: t.Void(), ...problemResponses(401, 404, 422, 503) };

/** The operators' routes, served only on the admin listener (ADMIN_PORT). Every one leaves an audit event. */
export const admin = ({
  service,
  token,
  audit,
  client,
}: {
  service: AdminService;
  token: string;
  audit: Pick<AuditService, "record" | "list">;
  /** The app's one client-address plugin: the operator's address in each event. */
  client: ReturnType<typeof clientAddress>;
}) =>
  new Elysia({ name: "admin", prefix: "/admin", detail: { tags: ["admin"], security } })
    .use(requestContext)
    .use(adminToken(token))
    .use(client)
    .derive(({ client, requestId }) => ({
      /** Records what the operator did, and to whom, as an admin's event. */
      done: (type: AuditEventType, subject: AuditSubject) =>
        audit.record(type, adminContext({ client, requestId }), subject),
    }))
    .get(
      "/users",
      async ({ query, done }) => {
        const page = await service.search(query);
        done("admin.users_searched", { email: query.email });
        return page;
      },
      {
        query: UserSearch,
        response: { 200: UserPage, ...problemResponses(401, 422, 503) },
        detail: { summary: "Users whose address starts with `email`, by address, a page at a time" },
      },
    )
    .get(
      "/users/:id",
      async ({ params, done }) => {
        const detail = await service.show(params.id);
        done("admin.user_viewed", { userId: params.id });
        return detail;
      },
      {
        params: UserParams,
        response: { 200: AdminUserDetail, ...problemResponses(401, 404, 422, 503) },
        detail: { summary: "A user and its live sessions" },
      },
    )
    .post(
      "/users/:id/disable",
      async ({ params, body, done, status }) => {
        await service.disable(params.id, body.reason);
        done("account.disabled", { userId: params.id });
        return status(204, undefined);
      },
      {
        parse: "json",
        params: UserParams,
        body: DisableRequest,
        response: { ...done, ...problemResponses(400, 413, 415) },
        detail: {
          summary: "Disable the account: every session and device token ends, and no login opens a new one",
          description: `A right password then gets 403 (type ${ACCOUNT_DISABLED_PROBLEM}), a wrong one the usual 401.`,
        },
      },
    )
    .post(
      "/users/:id/enable",
      async ({ params, done, status }) => {
        await service.enable(params.id);
        done("account.enabled", { userId: params.id });
        return status(204, undefined);
      },
      { params: UserParams, response: done, detail: { summary: "Let logins open sessions again" } },
    )
    .post(
      "/users/:id/logout",
      async ({ params, done, status }) => {
        await service.logout(params.id);
        done("admin.sessions_ended", { userId: params.id });
        return status(204, undefined);
      },
      { params: UserParams, response: done, detail: { summary: "End every session of the user at once" } },
    )
    .delete(
      "/users/:id/mfa",
      async ({ params, requestId, done, status }) => {
        await service.resetMfa(params.id, requestId);
        done("admin.mfa_reset", { userId: params.id });
        return status(204, undefined);
      },
      {
        params: UserParams,
        response: { ...done, ...problemResponses(409) },
        detail: {
          summary:
            "Turn TOTP off and remove the recovery codes, without the user's proof; every session ends; a notice",
          description: "409 when TOTP is off.",
        },
      },
    )
    .post(
      "/users/:id/password-reset",
      async ({ params, requestId, done, status }) => {
        await service.resetPassword(params.id, requestId);
        done("admin.password_reset_sent", { userId: params.id });
        return status(202, { message: "A link to reset the password is on its way to the user's address" });
      },
      {
        params: UserParams,
        response: { 202: MailAccepted, ...problemResponses(401, 404, 422, 503) },
        detail: { summary: "Email the user a password reset link" },
      },
    )
    .delete(
      "/users/:id",
      async ({ params, done, status }) => {
        await service.remove(params.id);
        done("account.deleted", { userId: params.id });
        return status(204, undefined);
      },
      {
        params: UserParams,
        response: done,
        detail: { summary: "Delete the account as DELETE /user does: its sessions and throttling documents go too" },
      },
    )
    .get(
      "/audit",
      async ({ query, done }) => {
        const page = await audit.list({ ...query, limit: query.limit ?? AUDIT_PAGE_LIMIT_DEFAULT });
        done("admin.audit_read", { userId: query.userId });
        return page;
      },
      {
        query: AuditQuery,
        response: { 200: AuditEventPage, ...problemResponses(401, 422, 503) },
        detail: {
          summary: "Security events, newest first: of one user, of one type, or all; a page at a time",
          description: "Each filter is served by an index of its own (audit/collection.ts).",
        },
      },
    );
