import { problemResponses, requestContext } from "@accounts/shared";
import { Elysia } from "elysia";
import { bearer } from "../bearer.ts";
import { UserResponse } from "../users/schemas.ts";
import type { UsersService } from "../users/service.ts";
import { MailAccepted, VerifyEmailRequest } from "./schemas.ts";
import type { EmailVerificationService } from "./service.ts";

export const emailVerification = (service: EmailVerificationService, authenticate: UsersService["authenticate"]) =>
  new Elysia({ name: "email-verification", detail: { tags: ["email"] } })
    .use(requestContext)
    .use(bearer(authenticate))
    .post("/email/verify", async ({ body }) => ({ user: await service.verify(body.token) }), {
      parse: "json",
      body: VerifyEmailRequest,
      response: { 200: UserResponse, ...problemResponses(400, 413, 415, 422, 503) },
      detail: {
        summary: "Confirm an email address with the token from the verification email's link",
        description:
          "400 (type urn:accounts:problem:verification-token-invalid): the token is used, expired or unknown.",
      },
    })
    .post(
      "/email/verify/resend",
      async ({ user, requestId, status }) => {
        await service.resend(user, requestId);
        return status(202, { message: "A new verification email is on its way" });
      },
      {
        bearer: true,
        response: { 202: MailAccepted, ...problemResponses(401, 409, 429, 503) },
        detail: {
          summary: "Send the verification email again (at most one a minute; 429 with Retry-After inside it)",
          description: "409: the address is verified already.",
          security: [{ bearer: [] }],
        },
      },
    );
