import { problemResponses, requestContext } from "@accounts/shared";
import { RESET_TOKEN_PROBLEM } from "../problems.ts";
import { Elysia } from "elysia";
import { userContext } from "../audit/context.ts";
import type { clientAddress } from "../client-address/index.ts";
import { MailAccepted } from "../email-verification/schemas.ts";
import { DeviceTokenGrant, deviceCookie } from "../throttling/device-token.ts";
import type { Throttling } from "../throttling/service.ts";
import { normalizeBodyEmail } from "../users/email.ts";
import { ForgotPasswordRequest, ResetPasswordRequest } from "./schemas.ts";
import type { PasswordResetService } from "./service.ts";

export const passwordReset = ({
  service,
  throttling,
  client,
}: {
  service: PasswordResetService;
  throttling: Throttling;
  /** The app's one client-address plugin, so every feature counts a request's client alike. */
  client: ReturnType<typeof clientAddress>;
}) =>
  new Elysia({ name: "password-reset", detail: { tags: ["password"] } })
    .use(requestContext)
    .use(client)
    .post(
      "/password/forgot",
      async ({ body, requestId, client, clientAddress, status }) => {
        // Per client, before anything else: the same for every address, so it reveals nothing either.
        await throttling.admit("emailRequest", clientAddress);
        await service.forgot(body.email, userContext({ client, requestId }));
        return status(202, { message: "If an account has this address, a link to reset its password is on its way" });
      },
      {
        parse: "json",
        transform: normalizeBodyEmail,
        body: ForgotPasswordRequest,
        response: { 202: MailAccepted, ...problemResponses(400, 413, 415, 422, 429, 503) },
        detail: {
          summary: "Email a password reset link to the address, if it has an account",
          description:
            "The same 202 whether or not the address has an account, and at most one mail per address a minute (silently).",
        },
      },
    )
    .post(
      "/password/reset",
      async ({ body, requestId, client, set }) => {
        const { deviceToken, maxAgeMs } = await service.reset(body, userContext({ client, requestId }));
        set.headers["set-cookie"] = deviceCookie(deviceToken, maxAgeMs);
        return { deviceToken };
      },
      {
        parse: "json",
        body: ResetPasswordRequest,
        response: { 200: DeviceTokenGrant, ...problemResponses(400, 413, 415, 422, 503) },
        detail: {
          summary:
            "Set a new password with the token from the reset email's link; ends every session and device token, and the account's login wait",
          description: `400 (type ${RESET_TOKEN_PROBLEM}): the token is used, expired, voided by a newer one or unknown. 422 names newPassword when it breaks sign-up's rules.`,
        },
      },
    );
