import { problemResponses, requestContext } from "@accounts/shared";
import { VERIFICATION_TOKEN_PROBLEM } from "../problems.ts";
import { Elysia } from "elysia";
import { userContext } from "../audit/context.ts";
import type { AuditService } from "../audit/service.ts";
import type { clientAddress } from "../client-address/index.ts";
import { type Authenticate, bearer } from "../sessions/bearer.ts";
import type { Throttling } from "../throttling/service.ts";
import { UserResponse } from "../users/schemas.ts";
import { MailAccepted, VerifyEmailRequest } from "./schemas.ts";
import type { EmailVerificationService } from "./service.ts";

export const emailVerification = ({
  service,
  authenticate,
  throttling,
  client,
  audit,
}: {
  service: EmailVerificationService;
  audit: Pick<AuditService, "record">;
  authenticate: Authenticate;
  throttling: Throttling;
  /** The app's one client-address plugin, so every feature counts a request's client alike. */
  client: ReturnType<typeof clientAddress>;
}) =>
  new Elysia({ name: "email-verification", detail: { tags: ["email"] } })
    .use(requestContext)
    .use(bearer(authenticate))
    .use(client)
    .post(
      "/email/verify",
      async ({ body, requestId, client }) => {
        const user = await service.verify(body.token);
        audit.record("email.verified", userContext({ client, requestId }), { userId: user.id, email: user.email });
        return { user };
      },
      {
        parse: "json",
        body: VerifyEmailRequest,
        response: { 200: UserResponse, ...problemResponses(400, 413, 415, 422, 503) },
        detail: {
          summary: "Confirm an email address with the token from the verification email's link",
          description: `400 (type ${VERIFICATION_TOKEN_PROBLEM}): the token is used, expired or unknown.`,
        },
      },
    )
    .post(
      "/email/verify/resend",
      async ({ user, requestId, clientAddress, status }) => {
        await throttling.admit("emailRequest", clientAddress);
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
