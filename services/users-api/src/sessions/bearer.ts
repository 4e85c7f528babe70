import { bearerToken, requestContext, unauthorized } from "@accounts/shared";
import { Elysia } from "elysia";
import type { User } from "../users/schemas.ts";
import type { Caller } from "./schemas.ts";

/** Checks a bearer token and, in one query, that its user exists and its session is live. */
export type Authenticate = (token: string, requestId: string) => Promise<{ user: User; caller: Caller } | undefined>;

/**
 * The `bearer` macro of every route that needs a token: resolves `user` and `caller` (user and session id)
 * from `Authorization: Bearer <token>`; 401 for a missing, invalid or expired token, a deleted user or an
 * ended session.
 */
export const bearer = (authenticate: Authenticate) =>
  new Elysia({ name: "bearer" }).use(requestContext).macro({
    bearer: {
      async resolve({ headers, requestId }) {
        const token = bearerToken(headers.authorization);
        const found = token ? await authenticate(token, requestId) : undefined;
        if (!found) throw unauthorized("Missing, invalid or expired bearer token");
        return found;
      },
    },
  });
