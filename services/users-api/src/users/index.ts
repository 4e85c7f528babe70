import { problemResponses, requestContext } from "@accounts/shared";
import { EMAIL_NOT_VERIFIED_PROBLEM } from "../problems.ts";
import { normalizeBodyEmail } from "./email.ts";
import { Elysia, t } from "elysia";
import { userContext } from "../audit/context.ts";
import type { AuditService } from "../audit/service.ts";
import type { clientAddress } from "../client-address/index.ts";
import { bearer } from "../sessions/bearer.ts";
import { SESSIONS_PER_ACCOUNT } from "../sessions/service.ts";
import { deviceCookie, presentedDeviceToken } from "../throttling/device-token.ts";
import { MfaChallenge } from "../mfa/schemas.ts";
import { DeleteUserRequest, LogInRequest, LogInResponse, SignUpRequest, UserResponse } from "./schemas.ts";
import type { UsersService } from "./service.ts";
import type { Throttling } from "../throttling/service.ts";

export const users = ({
  service,
  throttling,
  client,
  audit,
}: {
  service: UsersService;
  throttling: Throttling;
  /** The app's one client-address plugin, so every feature counts a request's client alike. */
  client: ReturnType<typeof clientAddress>;
  audit: Pick<AuditService, "record">;
}) =>
  new Elysia({ name: "users", detail: { tags: ["users"] } })
    .use(requestContext)
    .use(client)
    .use(bearer(service.authenticate))
    .post(
      "/signup",
      async ({ body, requestId, client, status }) => {
        const user = await service.signUp(body, requestId, client);
        audit.record("account.created", userContext({ client, requestId }), { userId: user.id, email: user.email });
        return status(201, { user });
      },
      {
        parse: "json",
        transform: normalizeBodyEmail,
        body: SignUpRequest,
        response: { 201: UserResponse, ...problemResponses(400, 409, 413, 415, 422, 429, 503) },
        detail: {
          summary: "Create an account and send it a verification email",
          description: "422 also for a common or breached password, or one containing the address's name part.",
        },
      },
    )
    .post(
      "/login",
      async ({ body, requestId, client, cookie, set }) => {
        const result = await service.logIn(
          body,
          userContext({ client, requestId }),
          presentedDeviceToken(body, cookie),
        );
        if ("mfaRequired" in result) return result;
        const { deviceCookieMaxAgeMs, ...session } = result;
        set.headers["set-cookie"] = deviceCookie(session.deviceToken, deviceCookieMaxAgeMs);
        return session;
      },
      {
        parse: "json",
        transform: normalizeBodyEmail,
        body: LogInRequest,
        response: {
          200: t.Union([LogInResponse, MfaChallenge]),
          ...problemResponses(400, 401, 403, 413, 415, 422, 429, 503),
        },
        detail: {
          summary: "Exchange email and password for a session: an access token and a refresh token",
          description:
            "While TOTP is on, a right password answers `mfaRequired` and an mfaToken instead, for POST /login/mfa; a wrong one is the same 401 as ever. " +
            `403 (type ${EMAIL_NOT_VERIFIED_PROBLEM}): the password is right but REQUIRE_VERIFIED_EMAIL is on and the address is not verified. ` +
            `An account keeps at most ${SESSIONS_PER_ACCOUNT} live sessions: a login past that ends its oldest.`,
        },
      },
    )
    .get("/user", ({ user }) => ({ user }), {
      bearer: true,
      response: { 200: UserResponse, ...problemResponses(401, 503) },
      detail: { summary: "The token's user", security: [{ bearer: [] }] },
    })
    .delete(
      "/user",
      async ({ caller, user, body, requestId, client, clientAddress, status }) => {
        await throttling.admit("proof", clientAddress);
        await service.remove(caller, user, body ?? {}, requestId);
        audit.record("account.deleted", userContext({ client, requestId }), { userId: user.id, email: user.email });
        return status(204, undefined);
      },
      {
        bearer: true,
        parse: "json",
        body: DeleteUserRequest,
        response: { 204: t.Void(), ...problemResponses(400, 401, 403, 413, 415, 422, 429, 503) },
        detail: {
          summary: "Delete the token's user",
          description:
            "Takes the current password, and a code while TOTP is on: 403 when either is wrong or missing; each wrong one counts like a failed login.",
          security: [{ bearer: [] }],
        },
      },
    );
