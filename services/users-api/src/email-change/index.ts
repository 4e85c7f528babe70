import { problemResponses, requestContext } from "@accounts/shared";
import { Elysia } from "elysia";
import { userContext } from "../audit/context.ts";
import type { AuditService } from "../audit/service.ts";
import type { clientAddress } from "../client-address/index.ts";
import { MailAccepted } from "../email-verification/schemas.ts";
import { type Authenticate, bearer } from "../sessions/bearer.ts";
import type { Throttling } from "../throttling/service.ts";
import { normalizeEmail } from "../users/email.ts";
import { UserResponse } from "../users/schemas.ts";
import { EmailChangeRequest, EmailChangeTokenRequest } from "./schemas.ts";
import { EMAIL_CHANGE_TOKEN_PROBLEM } from "../problems.ts";
import type { EmailChangeService } from "./service.ts";

// As every address a request brings (see normalizeEmail): validation and the unique index see it as stored.
const normalizeNewEmail = ({ body }: { body: unknown }) => {
  if (typeof body === "object" && body !== null && "newEmail" in body && typeof body.newEmail === "string")
    body.newEmail = normalizeEmail(body.newEmail);
};

const tokenRefused = `400 (type ${EMAIL_CHANGE_TOKEN_PROBLEM}): the token is used, expired, voided by a newer one or unknown.`;

export const emailChange = ({
  service,
  authenticate,
  throttling,
  client,
  audit,
}: {
  service: EmailChangeService;
  audit: Pick<AuditService, "record">;
  authenticate: Authenticate;
  throttling: Throttling;
  /** The app's one client-address plugin, so every feature counts a request's client alike. */
  client: ReturnType<typeof clientAddress>;
}) =>
  new Elysia({ name: "email-change", detail: { tags: ["email"] } })
    .use(requestContext)
    .use(bearer(authenticate))
    .use(client)
    .post(
      "/user/email",
      async ({ caller, user, body, requestId, client, clientAddress, status }) => {
        // A proof of presence, and it makes us mail an address the caller chooses: counted with proofs, and with
        // password-forgot and verification-resend.
        await throttling.admit("proof", clientAddress);
        await throttling.admit("emailRequest", clientAddress);
        await service.request(caller, user, body, requestId);
        audit.record("email.change_requested", userContext({ client, requestId }), {
          userId: user.id,
          email: user.email,
        });
        return status(202, { message: "A link to confirm the new address is on its way to it" });
      },
      {
        bearer: true,
        parse: "json",
        transform: normalizeNewEmail,
        body: EmailChangeRequest,
        response: { 202: MailAccepted, ...problemResponses(400, 401, 403, 409, 413, 415, 422, 429, 503) },
        detail: {
          summary: "Ask to move the token's user to a new address: a confirmation link goes to that address",
          description:
            "Takes the current password, and a code while TOTP is on: 403 when either is wrong or missing (nothing is sent); " +
            "each wrong one counts like a failed login. The same 202 whether or not the new address has an account: one " +
            "that has gets a notice without a link instead. At most one mail per address a minute (silently). The link " +
            "works for 24 hours; a newer request voids it. 422 names newEmail when it is not an address or is the account's own. " +
            "409 while the last change can still be undone (7 days), so whoever moved the account cannot move it out of the undo's reach.",
          security: [{ bearer: [] }],
        },
      },
    )
    .post(
      "/user/email/confirm",
      async ({ body, requestId, client, clientAddress }) => {
        // A token is no guess worth counting, but each right one mails: bounded with the other proofs.
        await throttling.admit("proof", clientAddress);
        const user = await service.confirm(body.token, requestId);
        audit.record("email.changed", userContext({ client, requestId }), { userId: user.id, email: user.email });
        return { user };
      },
      {
        parse: "json",
        body: EmailChangeTokenRequest,
        response: { 200: UserResponse, ...problemResponses(400, 409, 413, 415, 422, 429, 503) },
        detail: {
          summary:
            "Move the account to the new address with the token from the confirmation link; ends every session, and mails the old address an undo link",
          description: `The address is verified. ${tokenRefused} 409: another account has the address now (nothing changes; the link keeps working until it expires).`,
        },
      },
    )
    .post(
      "/user/email/revert",
      async ({ body, requestId, client, clientAddress }) => {
        await throttling.admit("proof", clientAddress);
        const user = await service.revert(body.token, requestId);
        audit.record("email.reverted", userContext({ client, requestId }), { userId: user.id, email: user.email });
        return { user };
      },
      {
        parse: "json",
        body: EmailChangeTokenRequest,
        response: { 200: UserResponse, ...problemResponses(400, 409, 413, 415, 422, 429, 503) },
        detail: {
          summary:
            "Give the account its old address back with the token from the change notice's link; ends every session and device token, and mails the old address a password reset link",
          description: `The link works for 7 days, while the account still has the address the change gave it. ${tokenRefused} 409: another account took the old address meanwhile (nothing changes; the link keeps working until it expires).`,
        },
      },
    );
