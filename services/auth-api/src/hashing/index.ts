import { HashRequest, HashResponse, problemResponses } from "@accounts/shared";
import { Elysia } from "elysia";
import { internalOnly, internalSecurity } from "../internal-auth.ts";

import type { PasswordHasher } from "./service.ts";

export const hashing = ({ hasher, internalToken }: { hasher: PasswordHasher; internalToken: string }) =>
  new Elysia({ name: "hashing" })
    .use(internalOnly(internalToken))
    .post("/hashed-pw", async ({ body, request }) => ({ hashed: await hasher.hash(body.password, request.signal) }), {
      parse: "json",
      body: HashRequest,
      response: { 200: HashResponse, ...problemResponses(400, 401, 413, 415, 422, 503) },
      detail: {
        tags: ["hashing"],
        summary: "Hash a new password with argon2id",
        description:
          "The password travels in the body, never the URL. 503 with Retry-After when the hash queue is full.",
        security: internalSecurity,
      },
    });
