import { problemResponses, SessionTokenRequest, TokenRequest, TokenResponse } from "@accounts/shared";
import { Elysia } from "elysia";
import type { PasswordHasher } from "../hashing/service.ts";
import { internalOnly, internalSecurity } from "../internal-auth.ts";
import { wrongPassword } from "../problems.ts";
import type { TokenService } from "./service.ts";

export const tokens = ({
  hasher,
  tokenService,
  internalToken,
}: {
  hasher: PasswordHasher;
  tokenService: TokenService;
  internalToken: string;
}) =>
  new Elysia({ name: "tokens" })
    .use(internalOnly(internalToken))
    .post(
      "/token",
      async ({ body, request }) => {
        const { ok, rehashed } = await hasher.check(
          body.password,
          body.hashedPassword,
          request.signal,
          body.timingFloorHash,
        );
        if (!ok) throw wrongPassword();
        return {
          token: await tokenService.issue(body.userId, body.sessionId, ["pwd"]),
          tokenType: "Bearer" as const,
          expiresIn: tokenService.ttlSeconds,
          ...(rehashed === undefined ? {} : { rehashed }),
        };
      },
      {
        parse: "json",
        body: TokenRequest,
        response: { 200: TokenResponse, ...problemResponses(400, 401, 413, 415, 422, 503) },
        detail: {
          tags: ["tokens"],
          summary: "Check a password against its stored hash and issue a token (`amr`: pwd)",
          description:
            "401 for a wrong password or a missing hash alike; `rehashed` is present when the stored hash should be upgraded. " +
            "Tokens are verified by their audience (users-api) against GET /.well-known/jwks.json.",
          security: internalSecurity,
        },
      },
    )
    .post(
      "/token/refresh",
      async ({ body }) => ({
        token: await tokenService.issue(body.userId, body.sessionId, body.otp ? ["pwd", "otp"] : ["pwd"]),
        tokenType: "Bearer" as const,
        expiresIn: tokenService.ttlSeconds,
      }),
      {
        parse: "json",
        body: SessionTokenRequest,
        response: { 200: TokenResponse, ...problemResponses(400, 401, 413, 415, 422) },
        detail: {
          tags: ["tokens"],
          summary: "Issue a token for a session users-api has checked, without a password",
          description:
            "For users-api's refresh (it has checked the refresh token against the session it stores) and a login's second factor (it has checked the code); auth-api only signs, with the session's `amr` (`otp`: pwd and otp, else pwd).",
          security: internalSecurity,
        },
      },
    );
