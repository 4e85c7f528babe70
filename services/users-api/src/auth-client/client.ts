import {
  type AuthenticationMethods,
  HashResponse,
  INTERNAL_CREDENTIAL_PROBLEM,
  type Logger,
  type SessionTokenRequest,
  TOKEN_VERIFY_OPTIONS,
  type TokenRequest,
  TokenResponse,
} from "@accounts/shared";
import { Value } from "@sinclair/typebox/value";
import type { Static, TSchema } from "elysia";
import { errors, jwtVerify } from "jose";
import { AuthUnavailableError } from "../problems.ts";
import type { Caller } from "../sessions/schemas.ts";
import { createHashingAdmission } from "./admission.ts";
import { createAuthKeys, KeysUnavailableError } from "./jwks.ts";

export interface AuthClientOptions {
  url: string;
  internalToken: string;
  timeoutMs: number;
  logger: Logger;
  /** Milliseconds since the epoch: when a token expires and when cached keys are old; tests pass one they can move on. */
  clock: () => number;
}

export type AuthClient = ReturnType<typeof createAuthClient>;

/**
 * users-api's side of the auth-api contract. Bun's fetch keeps connections alive and pools them
 * per origin by default, so calls reuse sockets; every call is bounded by `timeoutMs`.
 */
export function createAuthClient({ url, internalToken, timeoutMs, logger, clock }: AuthClientOptions) {
  const keys = createAuthKeys({ url: new URL("/.well-known/jwks.json", url), timeoutMs, logger, clock });

  const admission = createHashingAdmission();

  const unavailable = (requestId: string, reason: string, retryAfterSeconds?: number) => {
    logger.warn({ requestId, reason }, "auth-api unavailable");
    return new AuthUnavailableError(reason, retryAfterSeconds);
  };

  /** One request to auth-api, abandoned after `timeoutMs` or when `signal` (the caller's own deadline) aborts. */
  async function call(
    path: string,
    requestId: string,
    { body, signal }: { body?: object; signal?: AbortSignal } = {},
  ): Promise<Response> {
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      return await fetch(new URL(path, url), {
        method: body ? "POST" : "GET",
        headers: {
          authorization: `Bearer ${internalToken}`,
          "content-type": "application/json",
          "x-request-id": requestId,
        },
        body: body && JSON.stringify(body),
        signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
      });
    } catch (error) {
      throw unavailable(requestId, error instanceof Error && error.name === "TimeoutError" ? "timeout" : "unreachable");
    }
  }

  async function read<T extends TSchema>(response: Response, schema: T, requestId: string): Promise<Static<T>> {
    if (response.status !== 200) {
      await response.body?.cancel();
      const retryAfter = Number(response.headers.get("retry-after"));
      throw unavailable(requestId, `status ${response.status}`, retryAfter > 0 ? retryAfter : undefined);
    }
    const body: unknown = await response.json().catch(() => undefined);
    if (!Value.Check(schema, body)) throw unavailable(requestId, "unexpected answer");
    return body;
  }

  return {
    /** A hashing slot (admission.ts), taken before any database read and released once auth-api has answered. */
    admitHashing: admission.admit,

    async hashPassword(password: string, requestId: string): Promise<string> {
      const response = await call("/hashed-pw", requestId, { body: { password } });
      admission.learn(response);
      return (await read(response, HashResponse, requestId)).hashed;
    },

    /**
     * A token when the password matches `hashedPassword`, `undefined` when it does not. Without
     * `hashedPassword` (no such user) auth-api checks a dummy hash, so both cases take as long.
     */
    async issueToken(credentials: TokenRequest, requestId: string): Promise<TokenResponse | undefined> {
      const response = await call("/token", requestId, { body: credentials });
      admission.learn(response);
      if (response.status === 401) {
        const problem: unknown = await response.json().catch(() => undefined);
        // A refused INTERNAL_TOKEN is our misconfiguration, not the user's wrong password.
        if ((problem as { type?: unknown } | undefined)?.type === INTERNAL_CREDENTIAL_PROBLEM) {
          throw unavailable(requestId, "internal credential refused");
        }
        return undefined;
      }
      return read(response, TokenResponse, requestId);
    },

    /**
     * A token for a session users-api has just checked (a refresh token, a login's second factor), proven by `amr`:
     * auth-api signs, no password.
     */
    async issueSessionToken(
      { userId, sessionId, amr }: { userId: string; sessionId: string; amr: AuthenticationMethods },
      requestId: string,
    ): Promise<TokenResponse> {
      const body: SessionTokenRequest = { userId, sessionId, otp: amr[1] === "otp" };
      return read(await call("/token/refresh", requestId, { body }), TokenResponse, requestId);
    },

    /** Whether auth-api answers its own /ready with 200; `signal` ends the wait early (readiness has its own deadline). */
    async ready(requestId: string, signal?: AbortSignal): Promise<boolean> {
      try {
        const response = await call("/ready", requestId, { signal });
        await response.body?.cancel();
        return response.ok;
      } catch {
        return false;
      }
    },

    /**
     * The user and session ids of a token auth-api signed for us, `undefined` for any token that is not one (bad
     * signature, `alg: none`, expired or without an expiry, other issuer or audience, and tokens from before
     * sessions, which have no `sid`: TOKEN_VERIFY_OPTIONS), expiry judged by `clock`. Verified here, not by
     * auth-api: keys come from auth-api's JWKS, cached (jwks.ts), so this keeps working while auth-api is down. A
     * token whose kid no fetched key has, while the keys cannot be fetched, cannot be checked: 503, not 401, as it
     * may be signed with a key auth-api rotated to, and its client should retry rather than log in again.
     */
    async verifyAccessToken(token: string, requestId: string): Promise<Caller | undefined> {
      try {
        const { payload } = await jwtVerify(token, keys, { ...TOKEN_VERIFY_OPTIONS, currentDate: new Date(clock()) });
        const { sub, sid } = payload;
        return typeof sub === "string" && typeof sid === "string" ? { userId: sub, sessionId: sid } : undefined;
      } catch (error) {
        if (error instanceof KeysUnavailableError) throw unavailable(requestId, error.reason);
        // jose's own errors describe the token; anything else means we could not check it.
        if (error instanceof errors.JOSEError && error.code !== "ERR_JOSE_GENERIC") return undefined;
        throw unavailable(requestId, "keys unavailable");
      }
    },
  };
}
