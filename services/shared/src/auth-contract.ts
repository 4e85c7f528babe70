// The wire contract between users-api and auth-api, in one place: auth-api validates its requests and documents its
// answers with these schemas, users-api checks auth-api's answers against the same ones, and both verify tokens
// with the same options.
import { type Static, t } from "elysia";
import { LOGIN_PASSWORD_LENGTH, NEW_PASSWORD_LENGTH } from "./limits.ts";
import { NEW_PASSWORD_FORMAT } from "./password-format.ts";

/** `iss` of every token auth-api issues. */
export const TOKEN_ISSUER = "auth-api";
/** `aud` of every token auth-api issues: users-api is the one service that accepts them. */
export const TOKEN_AUDIENCE = "users-api";

/**
 * What a token must be to be accepted, for jose's `jwtVerify`: EdDSA only (so `none` and HS256-with-the-public-key
 * are refused), our issuer and audience, and these claims present: jose checks `exp` and `iat` only when present,
 * so without requiring them a token lacking `exp` would never expire; `sid` names the users-api session the token
 * belongs to, so tokens from before sessions (without one) are refused.
 */
export const TOKEN_VERIFY_OPTIONS = {
  algorithms: ["EdDSA"],
  issuer: TOKEN_ISSUER,
  audience: TOKEN_AUDIENCE,
  requiredClaims: ["sub", "sid", "iat", "exp", "jti"],
};

/**
 * Problem type of auth-api's 401 for a missing or wrong INTERNAL_TOKEN, so users-api can tell its own
 * misconfiguration (a 503 for its client) from a wrong password (a 401).
 */
export const INTERNAL_CREDENTIAL_PROBLEM = "urn:accounts:problem:internal-credential";

const UserId = t.String({ minLength: 1, maxLength: 128, description: "The user's id in users-api" });
const SessionId = t.String({
  minLength: 1,
  maxLength: 128,
  description: "The users-api session the token belongs to (its `sid` claim)",
});

/** A password for a new account or a new password: NIST SP 800-63B lengths. */
export const NewPassword = t.String({
  minLength: NEW_PASSWORD_LENGTH.min,
  maxLength: NEW_PASSWORD_LENGTH.max,
  format: NEW_PASSWORD_FORMAT,
});
/** A password to check: any length up to the cap, since accounts from before the 8-character rule must still log in. */
export const LoginPassword = t.String({ minLength: LOGIN_PASSWORD_LENGTH.min, maxLength: LOGIN_PASSWORD_LENGTH.max });

export const HashRequest = t.Object({ password: NewPassword });
export type HashRequest = Static<typeof HashRequest>;

export const HashResponse = t.Object({ hashed: t.String({ description: "argon2id hash in PHC string format" }) });
export type HashResponse = Static<typeof HashResponse>;

export const TokenRequest = t.Object({
  userId: UserId,
  sessionId: SessionId,
  password: LoginPassword,
  hashedPassword: t.Optional(
    t.String({
      minLength: 1,
      maxLength: 512,
      description: "Stored hash; omit when no such user exists (answers 401 in equal time)",
    }),
  ),
  timingFloorHash: t.Optional(
    t.String({
      minLength: 1,
      maxLength: 512,
      description:
        "A stored hash of the costliest kind present (seed-era bcrypt): a 401 lasts at least as long as a check against it",
    }),
  ),
});
export type TokenRequest = Static<typeof TokenRequest>;

export const TokenResponse = t.Object({
  token: t.String(),
  tokenType: t.Literal("Bearer"),
  expiresIn: t.Integer({ description: "Seconds until the token expires" }),
  rehashed: t.Optional(
    t.String({ description: "A fresh argon2id hash to store, when the stored one was bcrypt or weaker" }),
  ),
});
export type TokenResponse = Static<typeof TokenResponse>;

/**
 * How a session was proven, the token's `amr` claim (RFC 8176): a password, and a one-time code after it when the
 * account has a second factor. A recovery code is a one-time code too (RFC 8176 has no value of its own for it).
 */
export type AuthenticationMethods = ["pwd"] | ["pwd", "otp"];

/**
 * A token for a session users-api has just checked (a refresh token, or a login's second factor): no password,
 * auth-api only signs. `otp` rather than the claim itself, so no other list can be asked for.
 */
export const SessionTokenRequest = t.Object({
  userId: UserId,
  sessionId: SessionId,
  otp: t.Boolean({ description: "The session was proven with a one-time code after the password: amr [pwd, otp]" }),
});
export type SessionTokenRequest = Static<typeof SessionTokenRequest>;
