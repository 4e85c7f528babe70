/** RFC 6750 §2.1's b64token: the only characters a bearer token may hold. */
export const BEARER_TOKEN_PATTERN = "[\\w.~+/-]+=*";

// The scheme is case-insensitive (RFC 9110 §11.1), so `bearer x` counts too.
const BEARER = new RegExp(`^Bearer +(${BEARER_TOKEN_PATTERN})$`, "i");

/** The token of an `Authorization: Bearer <token>` header value, or undefined when it carries none. */
export const bearerToken = (authorization: string | null | undefined): string | undefined =>
  BEARER.exec(authorization ?? "")?.[1];
