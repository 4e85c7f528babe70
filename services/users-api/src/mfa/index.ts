import { problemResponses } from "@accounts/shared";
import { Elysia, t } from "elysia";
import { userContext } from "../audit/context.ts";
import type { AuditService } from "../audit/service.ts";
import type { clientAddress } from "../client-address/index.ts";
import { bearer, type Authenticate } from "../sessions/bearer.ts";
import { deviceCookie, presentedDeviceToken } from "../throttling/device-token.ts";
import type { Throttling } from "../throttling/service.ts";
import { LogInResponse } from "../users/schemas.ts";
import { MFA_TOKEN_FAILURES } from "./challenge.ts";
import {
  MfaLogInRequest,
  MfaProof,
  RecoveryCodes,
  TotpConfirmation,
  TotpEnrolment,
  TotpEnrolmentRequest,
} from "./schemas.ts";
import { MFA_CODE_PROBLEM } from "../problems.ts";
import type { MfaService } from "./service.ts";

const security = [{ bearer: [] }];
const presenceRefused = "403 when the password or code is wrong or missing; each wrong one counts like a failed login.";

export const mfa = ({
  service,
  authenticate,
  throttling,
  client,
  audit,
}: {
  service: MfaService;
  audit: Pick<AuditService, "record">;
  authenticate: Authenticate;
  throttling: Throttling;
  /** The app's one client-address plugin, so every feature counts a request's client alike. */
  client: ReturnType<typeof clientAddress>;
}) =>
  new Elysia({ name: "mfa", detail: { tags: ["mfa"] } })
    .use(bearer(authenticate))
    .use(client)
    .post(
      "/login/mfa",
      async ({ body, requestId, client, clientAddress, cookie, set }) => {
        await throttling.admit("proof", clientAddress);
        const { deviceCookieMaxAgeMs, ...session } = await service.completeLogIn(
          body,
          userContext({ client, requestId }),
          presentedDeviceToken({}, cookie),
        );
        set.headers["set-cookie"] = deviceCookie(session.deviceToken, deviceCookieMaxAgeMs);
        return session;
      },
      {
        parse: "json",
        body: MfaLogInRequest,
        response: { 200: LogInResponse, ...problemResponses(400, 401, 413, 415, 422, 429, 503) },
        detail: {
          summary: "A login's second step: the mfaToken from POST /login and a TOTP code or a recovery code",
          description:
            `401 alike for a wrong or used code and an unknown, expired or used mfaToken; after ${MFA_TOKEN_FAILURES} wrong codes the mfaToken is dead. ` +
            "Wrong codes also count per account, apart from wrong passwords. `recoveryCodesLeft` appears when few are left.",
        },
      },
    )
    .post(
      "/mfa/totp",
      async ({ caller, user, body, requestId, clientAddress, status }) => {
        await throttling.admit("proof", clientAddress);
        return status(201, await service.enrol(caller, user.email, body, requestId));
      },
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
      async ({ caller, user, body, requestId, client, clientAddress }) => {
        await throttling.admit("proof", clientAddress);
        const codes = await service.confirm(caller, user.email, body, requestId);
        audit.record("mfa.totp_enabled", userContext({ client, requestId }), { userId: user.id, email: user.email });
        return codes;
      },
      {
        bearer: true,
        parse: "json",
        body: TotpConfirmation,
        response: { 200: RecoveryCodes, ...problemResponses(400, 401, 409, 413, 415, 422, 429, 503) },
        detail: {
          summary: "Turn TOTP on with a code from the pending secret; answers 10 recovery codes, shown only now",
          description: `400 (type ${MFA_CODE_PROBLEM}): the code is wrong, or nothing is pending. Every other session ends and the address gets a notice.`,
          security,
        },
      },
    )
    .post(
      "/mfa/recovery-codes",
      async ({ caller, user, body, requestId, client, clientAddress }) => {
        await throttling.admit("proof", clientAddress);
        const codes = await service.regenerateRecoveryCodes(caller, user.email, body, requestId);
        audit.record("mfa.recovery_codes_regenerated", userContext({ client, requestId }), {
          userId: user.id,
          email: user.email,
        });
        return codes;
      },
      {
        bearer: true,
        parse: "json",
        body: MfaProof,
        response: { 200: RecoveryCodes, ...problemResponses(400, 401, 403, 409, 413, 415, 422, 429, 503) },
        detail: {
          summary: "A new set of 10 recovery codes, shown only now; the old set stops working",
          description: `${presenceRefused} 409 when TOTP is off. The address gets a notice.`,
          security,
        },
      },
    )
    .delete(
      "/mfa/totp",
      async ({ caller, user, body, requestId, client, clientAddress, status }) => {
        await throttling.admit("proof", clientAddress);
        await service.disable(caller, user.email, body, requestId);
        audit.record("mfa.totp_disabled", userContext({ client, requestId }), { userId: user.id, email: user.email });
        return status(204, undefined);
      },
      {
        bearer: true,
        parse: "json",
        body: MfaProof,
        response: { 204: t.Void(), ...problemResponses(400, 401, 403, 409, 413, 415, 422, 429, 503) },
        detail: {
          summary: "Turn TOTP off; its recovery codes go too",
          description: `${presenceRefused} 409 when TOTP is off. Every other session ends and the address gets a notice.`,
          security,
        },
      },
    );
