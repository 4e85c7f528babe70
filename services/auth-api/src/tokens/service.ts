import { type AuthenticationMethods, TOKEN_AUDIENCE, TOKEN_ISSUER, TOKEN_VERIFY_OPTIONS } from "@accounts/shared";
import { createLocalJWKSet, errors, jwtVerify, SignJWT } from "jose";
import type { SigningKeys } from "../keys/load.ts";

/**
 * Signs and verifies EdDSA JWTs with `jose`. `@elysiajs/jwt` is not used: it keeps one key for both
 * signing and verifying, which cannot work with an asymmetric key pair (elysia-jwt issues #21, #122),
 * and it has no notion of several published keys with a `kid` for rotation.
 */
export function createTokenService(keys: SigningKeys, ttlSeconds: number, clock: () => number) {
  const verificationKeys = createLocalJWKSet({ keys: keys.publicJwks });
  return {
    ttlSeconds,

    /**
     * A token for `userId` in users-api session `sessionId`, proven by `amr`: sub, sid, amr, iss, aud, iat, exp and a
     * unique jti, with the signing key's kid in the header.
     */
    issue(userId: string, sessionId: string, amr: AuthenticationMethods): Promise<string> {
      const issuedAt = Math.floor(clock() / 1000);
      return new SignJWT({ sid: sessionId, amr })
        .setProtectedHeader({ alg: "EdDSA", typ: "JWT", kid: keys.kid })
        .setSubject(userId)
        .setIssuer(TOKEN_ISSUER)
        .setAudience(TOKEN_AUDIENCE)
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + ttlSeconds)
        .setJti(crypto.randomUUID())
        .sign(keys.privateKey);
    },

    /** Whether `token` is one of ours and valid now, by the rules users-api applies (TOKEN_VERIFY_OPTIONS). */
    async verifies(token: string): Promise<boolean> {
      try {
        await jwtVerify(token, verificationKeys, { ...TOKEN_VERIFY_OPTIONS, currentDate: new Date(clock()) });
        return true;
      } catch (error) {
        if (error instanceof errors.JOSEError) return false;
        throw error;
      }
    },
  };
}

export type TokenService = ReturnType<typeof createTokenService>;
