import { problemResponses } from "@accounts/shared";
import { Elysia, t } from "elysia";
import { userContext } from "../audit/context.ts";
import type { AuditService } from "../audit/service.ts";
import type { clientAddress } from "../client-address/index.ts";
import { sessionNotFound } from "../problems.ts";
import type { Throttling } from "../throttling/service.ts";
import { bearer, type Authenticate } from "./bearer.ts";
import { LogoutRequest, RefreshRequest, SessionGrant, SessionList, SessionParams } from "./schemas.ts";
import type { SessionService } from "./service.ts";

const security = [{ bearer: [] }];

export const sessions = ({
  service,
  authenticate,
  throttling,
  client,
  audit,
}: {
  service: SessionService;
  audit: Pick<AuditService, "record">;
  authenticate: Authenticate;
  throttling: Throttling;
  /** The app's one client-address plugin, so every feature counts a request's client alike. */
  client: ReturnType<typeof clientAddress>;
}) =>
  new Elysia({ name: "sessions", detail: { tags: ["sessions"] } })
    .use(bearer(authenticate))
    .use(client)
    .post(
      "/refresh",
      async ({ body, requestId, client, clientAddress }) => {
        await throttling.admit("refresh", clientAddress);
        return service.refresh(body.refreshToken, userContext({ client, requestId }));
      },
      {
        parse: "json",
        body: RefreshRequest,
        response: { 200: SessionGrant, ...problemResponses(400, 401, 413, 415, 422, 429, 503) },
        detail: {
          summary: "Exchange a refresh token for new tokens",
          description:
            "The refresh token is replaced by a new one. Presenting a replaced token again ends the whole session, " +
            "except within REFRESH_REUSE_GRACE_SECONDS of its replacement, which gets the session's current tokens.",
        },
      },
    )
    .post(
      "/logout",
      async ({ caller, user, body, client, requestId, status }) => {
        await service.logout(caller, body?.scope ?? "local");
        audit.record("session.logged_out", userContext({ client, requestId }), { userId: user.id, email: user.email });
        return status(204, undefined);
      },
      {
        bearer: true,
        parse: "json",
        body: LogoutRequest,
        response: { 204: t.Void(), ...problemResponses(400, 401, 413, 415, 422, 503) },
        detail: {
          summary: "End this session, the others, or all; their access tokens are refused at once",
          security,
        },
      },
    )
    .get("/sessions", ({ caller }) => service.list(caller), {
      bearer: true,
      response: { 200: SessionList, ...problemResponses(401, 503) },
      detail: { summary: "The token's user's live sessions", security },
    })
    .delete(
      "/sessions/:id",
      async ({ caller, user, params, client, requestId, status }) => {
        if (!(await service.revoke(caller, params.id))) throw sessionNotFound();
        audit.record("session.revoked", userContext({ client, requestId }), { userId: user.id, email: user.email });
        return status(204, undefined);
      },
      {
        bearer: true,
        params: SessionParams,
        response: { 204: t.Void(), ...problemResponses(401, 404, 422, 503) },
        detail: { summary: "End one of the token's user's sessions", security },
      },
    );
