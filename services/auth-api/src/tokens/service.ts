import { TOKEN_AUDIENCE, TOKEN_ISSUER } from "@accounts/shared";
import { createLocalJWKSet, errors, jwtVerify, SignJWT, type JWTPayload } from "jose";
import type { SigningKeys } from "../keys/load.ts";

/**
 * Signs and verifies EdDSA JWTs with `jose`. `@elysiajs/jwt` is not used: it keeps one key for both
 * signing and verifying, which cannot work with an asymmetric key pair (elysia-jwt issues #21, #122),
 * and it has no notion of several published keys with a `kid` for rotation.
 */
export class TokenService {
  private readonly verificationKeys: ReturnType<typeof createLocalJWKSet>;

  constructor(
    private readonly keys: SigningKeys,
    readonly ttlSeconds: number,
  ) {
    this.verificationKeys = createLocalJWKSet({ keys: keys.publicJwks });
  }

  /**
   * A token for `userId`: sub, iss, aud, iat, exp and a unique jti, with the signing key's kid in the header,
   * and `sid`, the users-api session it belongs to, when given.
   */
  issue(userId: string, sessionId?: string): Promise<string> {
    return new SignJWT(sessionId === undefined ? {} : { sid: sessionId })
      .setProtectedHeader({ alg: "EdDSA", typ: "JWT", kid: this.keys.kid })
      .setSubject(userId)
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .setJti(crypto.randomUUID())
      .sign(this.keys.privateKey);
  }

  /**
   * The token's claims, or undefined when it is not one of ours: bad signature, unknown kid, any
   * algorithm but EdDSA (so `none` and HS256-with-the-public-key are refused), wrong iss/aud, expired.
   */
  async verify(token: string) {
    try {
      const { payload } = await jwtVerify(token, this.verificationKeys, {
        algorithms: ["EdDSA"],
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        requiredClaims: ["sub", "iat", "exp", "jti"],
      });
      // jwtVerify checked iss and aud and the required claims, so all are present.
      return payload as JWTPayload & Required<Pick<JWTPayload, "sub" | "iss" | "aud" | "iat" | "exp" | "jti">>;
    } catch (error) {
      if (error instanceof errors.JOSEError) return undefined;
      throw error;
    }
  }
}
