import { problemResponses } from "@accounts/shared";
import { Elysia } from "elysia";
import { bearer, type Authenticate } from "../sessions/bearer.ts";
import { RecoveryCodes, TotpConfirmation, TotpEnrolment, TotpEnrolmentRequest } from "./schemas.ts";
import { MFA_CODE_PROBLEM, type MfaService } from "./service.ts";

const security = [{ bearer: [] }];

export const mfa = ({ service, authenticate }: { service: MfaService; authenticate: Authenticate }) =>
  new Elysia({ name: "mfa", detail: { tags: ["mfa"] } })
    .use(bearer(authenticate))
    .post(
      "/mfa/totp",
      async ({ caller, user, body, requestId, status }) =>
        status(201, await service.enrol(caller, user.email, body, requestId)),
      {
        bearer: true,
        parse: "json",
        body: TotpEnrolmentRequest,
        response: { 201: TotpEnrolment, ...problemResponses(400, 401, 403, 409, 413, 415, 422, 429, 503) },
        detail: {
          summary: "Start TOTP: a new secret for an authenticator app, pending until a code from it is confirmed",
          description:
            "403 when the password is wrong; it counts like a failed login. 409 when TOTP is already on. Calling " +
            "again before confirming replaces the pending secret.",
          security,
        },
      },
    )
    .post(
      "/mfa/totp/confirm",
      ({ caller, user, body, requestId }) => service.confirm(caller, user.email, body, requestId),
      {
        bearer: true,
        parse: "json",
        body: TotpConfirmation,
        response: { 200: RecoveryCodes, ...problemResponses(400, 401, 409, 413, 415, 422, 503) },
        detail: {
          summary: "Turn TOTP on with a code from the pending secret; answers 10 recovery codes, shown only now",
          description: `400 (type ${MFA_CODE_PROBLEM}): the code is wrong, or nothing is pending. Every other session ends and the address gets a notice.`,
          security,
        },
      },
    );
