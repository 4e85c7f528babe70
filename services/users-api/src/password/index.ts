import { problemResponses } from "@accounts/shared";
import { Elysia, t } from "elysia";
import { bearer, type Authenticate } from "../sessions/bearer.ts";
import { PasswordChange } from "./schemas.ts";
import type { PasswordService } from "./service.ts";

export const password = ({ service, authenticate }: { service: PasswordService; authenticate: Authenticate }) =>
  new Elysia({ name: "password", detail: { tags: ["users"] } }).use(bearer(authenticate)).put(
    "/user/password",
    async ({ caller, body, requestId, status }) => {
      await service.change(caller, body, requestId);
      return status(204, undefined);
    },
    {
      bearer: true,
      parse: "json",
      body: PasswordChange,
      response: { 204: t.Void(), ...problemResponses(400, 401, 403, 409, 413, 415, 422, 503) },
      detail: {
        summary: "Change the token's user's password; every other session of theirs ends",
        description: "403 when currentPassword is wrong (nothing changes); newPassword follows sign-up's rules.",
        security: [{ bearer: [] }],
      },
    },
  );
