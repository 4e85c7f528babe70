import { bearerToken, requestContext } from "@accounts/shared";
import { Elysia } from "elysia";
import { invalidBearer } from "../problems.ts";
import type { User } from "../users/schemas.ts";
import type { Caller } from "./schemas.ts";

/** Checks a bearer token and, in one query, that its user exists and its session is live. */
export type Authenticate = (token: string, requestId: string) => Promise<{ user: User; caller: Caller } | undefined>;

/**
 * The `bearer` macro of every route that needs a token: resolves `user` and `caller` (user and session id)
 * from `Authorization: Bearer <token>`; 401 for a missing, invalid or expired token, a deleted user or an
 * ended session. A request without any token is refused before its input is validated (`transform` runs first):
 * it learns nothing of the route's rules.
 */
export const bearer = (authenticate: Authenticate) =>
  new Elysia({ name: "bearer" }).use(requestContext).macro({
    bearer: {
      transform({ headers }) {
        if (!bearerToken(headers.authorization)) throw invalidBearer();
      },
      async resolve({ headers, requestId }) {
        const token = bearerToken(headers.authorization);
        const found = token ? await authenticate(token, requestId) : undefined;
        if (!found) throw invalidBearer();
        return found;
      },
    },
  });
