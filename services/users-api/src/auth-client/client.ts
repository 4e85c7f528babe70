import {
  HashResponse,
  HttpProblem,
  INTERNAL_CREDENTIAL_PROBLEM,
  type Logger,
  TOKEN_VERIFY_OPTIONS,
  type TokenRequest,
  TokenResponse,
} from "@accounts/shared";
import { Value } from "@sinclair/typebox/value";
import type { Static, TSchema } from "elysia";
import { createRemoteJWKSet, errors, jwtVerify } from "jose";

export interface AuthClientOptions {
  url: string;
  internalToken: string;
  timeoutMs: number;
  logger: Logger;
}

/** auth-api did not answer in time, refused us, or answered nonsense: our caller gets 503. */
export class AuthUnavailableError extends HttpProblem {
  constructor(
    readonly reason: string,
    retryAfterSeconds = 1,
  ) {
    super(503, "The authentication service is unavailable; try again shortly", { retryAfterSeconds });
  }
}

export type AuthClient = ReturnType<typeof createAuthClient>;

/**
 * users-api's side of the auth-api contract. Bun's fetch keeps connections alive and pools them
 * per origin by default, so calls reuse sockets; every call is bounded by `timeoutMs`.
 */
export function createAuthClient({ url, internalToken, timeoutMs, logger }: AuthClientOptions) {
  const jwks = createRemoteJWKSet(new URL("/.well-known/jwks.json", url), {
    timeoutDuration: timeoutMs,
    // After a key rotation, tokens with the new kid are refused until the JWKS is fetched again;
    // jose's default 30 s between such refetches is long for that, one per second still bounds
    // what tokens with made-up kids can make us fetch.
    cooldownDuration: 1_000,
  });

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
    async hashPassword(password: string, requestId: string): Promise<string> {
      const response = await call("/hashed-pw", requestId, { body: { password } });
      return (await read(response, HashResponse, requestId)).hashed;
    },

    /**
     * A token when the password matches `hashedPassword`, `undefined` when it does not. Without
     * `hashedPassword` (no such user) auth-api checks a dummy hash, so both cases take as long.
     */
    async issueToken(credentials: TokenRequest, requestId: string): Promise<TokenResponse | undefined> {
      const response = await call("/token", requestId, { body: credentials });
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
     * The user id and issue time (`iat`, seconds) of a token auth-api signed for us, `undefined` for any token that is not one (bad
     * signature, `alg: none`, expired or without an expiry, other issuer or audience: TOKEN_VERIFY_OPTIONS).
     * Verified here, not by auth-api: keys come from auth-api's JWKS, cached and fetched again when a token
     * names an unknown `kid` (key rotation), so this keeps working while auth-api is down.
     */
    async verifyAccessToken(
      token: string,
      requestId: string,
    ): Promise<{ userId: string; issuedAt: number } | undefined> {
      try {
        const { payload } = await jwtVerify(token, jwks, TOKEN_VERIFY_OPTIONS);
        // TOKEN_VERIFY_OPTIONS requires both claims.
        return { userId: payload.sub!, issuedAt: payload.iat! };
      } catch (error) {
        if (error instanceof errors.JWKSTimeout) throw unavailable(requestId, "keys timeout");
        // jose's own errors describe the token; anything else (refused connection, a JWKS that
        // did not load) means we could not check it.
        if (error instanceof errors.JOSEError && error.code !== "ERR_JOSE_GENERIC") return undefined;
        throw unavailable(requestId, "keys unavailable");
      }
    },
  };
}
