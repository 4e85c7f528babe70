import { createHash, timingSafeEqual } from "node:crypto";
import { bearerToken } from "@accounts/shared";
import { Elysia } from "elysia";
import { invalidAdminToken } from "../problems.ts";

const digest = (value: string) => createHash("sha256").update(value).digest();

/**
 * `Authorization: Bearer <ADMIN_TOKEN>` on every admin route. Both sides are hashed first, so timingSafeEqual
 * compares equal lengths and the time tells nothing of the token, not even its length. Checked on transform, before
 * validation, so no 422 tells a caller without the token what a valid request looks like; scoped, so /health,
 * /ready, /metrics and the docs stay open to probes.
 */
export const adminToken = (token: string) => {
  const expected = digest(token);
  return new Elysia({ name: "admin-token" }).onTransform({ as: "scoped" }, ({ headers }) => {
    const given = bearerToken(headers.authorization);
    if (given === undefined || !timingSafeEqual(digest(given), expected)) throw invalidAdminToken();
  });
};
