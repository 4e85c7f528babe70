import { problemResponses } from "@accounts/shared";
import { Elysia } from "elysia";
import { userContext } from "../audit/context.ts";
import type { AuditService } from "../audit/service.ts";
import type { clientAddress } from "../client-address/index.ts";
import { bearer, type Authenticate } from "../sessions/bearer.ts";
import type { Throttling } from "../throttling/service.ts";
import { DeviceTokenGrant, deviceCookie } from "../throttling/device-token.ts";
import { PasswordChange } from "./schemas.ts";
import type { PasswordService } from "./service.ts";

export const password = ({
  service,
  authenticate,
  throttling,
  client,
  audit,
}: {
  service: PasswordService;
  authenticate: Authenticate;
  throttling: Throttling;
  /** The app's one client-address plugin, so every feature counts a request's client alike. */
  client: ReturnType<typeof clientAddress>;
  audit: Pick<AuditService, "record">;
}) =>
  new Elysia({ name: "password", detail: { tags: ["users"] } })
    .use(bearer(authenticate))
    .use(client)
    .put(
      "/user/password",
      async ({ caller, user, body, requestId, client, clientAddress, set }) => {
        await throttling.admit("proof", clientAddress);
        const { deviceToken, maxAgeMs } = await service.change(caller, user.email, body, requestId);
        audit.record("password.changed", userContext({ client, requestId }), { userId: user.id, email: user.email });
        set.headers["set-cookie"] = deviceCookie(deviceToken, maxAgeMs);
        return { deviceToken };
      },
      {
        bearer: true,
        parse: "json",
        body: PasswordChange,
        response: { 200: DeviceTokenGrant, ...problemResponses(400, 401, 403, 409, 413, 415, 422, 429, 503) },
        detail: {
          summary: "Change the token's user's password; every other session and every device token of theirs ends",
          description:
            "403 when currentPassword is wrong, or while TOTP is on when `code` is wrong or missing (nothing changes); each " +
            "counts like a failed login, so after five the account's doubling wait answers 429 before any password is " +
            "checked. newPassword follows sign-up's rules. " +
            "The answer carries this device's new device token.",
          security: [{ bearer: [] }],
        },
      },
    );
