import { problemResponses, requestContext } from "@accounts/shared";
import { Elysia, t } from "elysia";
import { MailAccepted } from "../email-verification/schemas.ts";
import { AdminUserDetail, DisableRequest, UserPage, UserParams, UserSearch } from "./schemas.ts";
import type { AdminService } from "./service.ts";
import { adminToken } from "./token.ts";

const security = [{ adminToken: [] }];
const done = { 204: t.Void(), ...problemResponses(401, 404, 422, 503) };

/** The operators' routes, served only on the admin listener (ADMIN_PORT). */
export const admin = ({ service, token }: { service: AdminService; token: string }) =>
  new Elysia({ name: "admin", prefix: "/admin", detail: { tags: ["admin"], security } })
    .use(requestContext)
    .use(adminToken(token))
    .get("/users", ({ query }) => service.search(query), {
      query: UserSearch,
      response: { 200: UserPage, ...problemResponses(401, 422, 503) },
      detail: { summary: "Users whose address starts with `email`, by address, a page at a time" },
    })
    .get("/users/:id", ({ params }) => service.show(params.id), {
      params: UserParams,
      response: { 200: AdminUserDetail, ...problemResponses(401, 404, 422, 503) },
      detail: { summary: "A user and its live sessions" },
    })
    .post(
      "/users/:id/disable",
      async ({ params, body, status }) => {
        await service.disable(params.id, body.reason);
        return status(204, undefined);
      },
      {
        parse: "json",
        params: UserParams,
        body: DisableRequest,
        response: { ...done, ...problemResponses(400, 413, 415) },
        detail: {
          summary: "Disable the account: every session and device token ends, and no login opens a new one",
          description:
            "A right password then gets 403 (type urn:accounts:problem:account-disabled), a wrong one the usual 401.",
        },
      },
    )
    .post(
      "/users/:id/enable",
      async ({ params, status }) => {
        await service.enable(params.id);
        return status(204, undefined);
      },
      { params: UserParams, response: done, detail: { summary: "Let logins open sessions again" } },
    )
    .post(
      "/users/:id/logout",
      async ({ params, status }) => {
        await service.logout(params.id);
        return status(204, undefined);
      },
      { params: UserParams, response: done, detail: { summary: "End every session of the user at once" } },
    )
    .delete(
      "/users/:id/mfa",
      async ({ params, requestId, status }) => {
        await service.resetMfa(params.id, requestId);
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
      async ({ params, requestId, status }) => {
        await service.resetPassword(params.id, requestId);
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
      async ({ params, status }) => {
        await service.remove(params.id);
        return status(204, undefined);
      },
      {
        params: UserParams,
        response: done,
        detail: { summary: "Delete the account as DELETE /user does: its sessions and throttling documents go too" },
      },
    );
