import { problemResponses } from "@accounts/shared";
import { Elysia, t } from "elysia";
import { bearer } from "../sessions/bearer.ts";
import { SessionGrant } from "../sessions/schemas.ts";
import { normalizeEmail } from "./collection.ts";
import { deletion, logInCredentials, signUpCredentials, userEnvelope } from "./model.ts";
import type { UsersService } from "./service.ts";

// The one place request addresses are normalized (see normalizeEmail); validation sees them as stored.
const normalizeBodyEmail = ({ body }: { body: unknown }) => {
  if (typeof body === "object" && body !== null && "email" in body && typeof body.email === "string")
    body.email = normalizeEmail(body.email);
};

export const usersController = (service: UsersService) =>
  new Elysia({ name: "users", detail: { tags: ["users"] } })
    .use(bearer(service.authenticate))
    .post(
      "/signup",
      async ({ body, requestId, status }) => status(201, { user: await service.signUp(body, requestId) }),
      {
        parse: "json",
        transform: normalizeBodyEmail,
        body: signUpCredentials,
        response: { 201: userEnvelope, ...problemResponses(400, 409, 413, 415, 422, 503) },
        detail: { summary: "Create an account" },
      },
    )
    .post(
      "/login",
      ({ body, headers, request, server, requestId }) =>
        service.logIn(
          body,
          { userAgent: headers["user-agent"]?.slice(0, 512) ?? null, ip: server?.requestIP(request)?.address ?? null },
          requestId,
        ),
      {
        parse: "json",
        transform: normalizeBodyEmail,
        body: logInCredentials,
        response: { 200: SessionGrant, ...problemResponses(400, 401, 413, 415, 422, 503) },
        detail: { summary: "Exchange email and password for a session: an access token and a refresh token" },
      },
    )
    .get("/user", ({ user }) => ({ user }), {
      bearer: true,
      response: { 200: userEnvelope, ...problemResponses(401, 503) },
      detail: { summary: "The token's user", security: [{ bearer: [] }] },
    })
    .delete(
      "/user",
      async ({ user, body, status }) => {
        await service.remove(user, body?.email);
        return status(204, undefined);
      },
      {
        bearer: true,
        parse: "json",
        transform: normalizeBodyEmail,
        body: deletion,
        response: { 204: t.Void(), ...problemResponses(400, 401, 403, 413, 415, 422, 503) },
        detail: { summary: "Delete the token's user", security: [{ bearer: [] }] },
      },
    );
