import { createHash, timingSafeEqual } from "node:crypto";
import { bearerToken } from "@accounts/shared";
import { Elysia } from "elysia";
import { invalidInternalCredential } from "./problems.ts";

const digest = (value: string) => createHash("sha256").update(value).digest();

/**
 * Used by each feature whose routes only users-api may call: they need `Authorization: Bearer <INTERNAL_TOKEN>`.
 * Scoped, so the check covers the using feature's routes and stops there (health, metrics and JWKS stay open).
 * Both sides are hashed first so timingSafeEqual compares equal lengths and leaks nothing about the
 * token's length. Checked on transform: after the body is parsed, so a caller without the credential can
 * still get 400, 413 or 415 for a body that is not JSON, too large or of another type, but before validation,
 * so no 422 tells it what shape a valid body has. (Elysia's earlier hook, onRequest, runs before routing and
 * so cannot be limited to these routes.)
 */
export const internalOnly = (internalToken: string) => {
  const expected = digest(internalToken);
  return new Elysia().onTransform({ as: "scoped" }, ({ headers }) => {
    const given = bearerToken(headers.authorization);
    if (given === undefined || !timingSafeEqual(digest(given), expected)) throw invalidInternalCredential();
  });
};

/** OpenAPI security requirement of internal routes. */
export const internalSecurity = [{ internalToken: [] }];
