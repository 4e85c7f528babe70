// RFC 6750 §2.1: `Bearer` SP b64token. The scheme is case-insensitive (RFC 9110 §11.1), so `bearer x` counts too.
const BEARER = /^Bearer +([\w.~+/-]+=*)$/i;

/** The token of an `Authorization: Bearer <token>` header value, or undefined when it carries none. */
export const bearerToken = (authorization: string | null | undefined): string | undefined =>
  BEARER.exec(authorization ?? "")?.[1];
