// The token contract between the two services: auth-api signs with these claims, users-api accepts nothing else.

/** `iss` of every token auth-api issues. */
export const TOKEN_ISSUER = "auth-api";
/** `aud` of every token auth-api issues: users-api is the one service that accepts them. */
export const TOKEN_AUDIENCE = "users-api";
