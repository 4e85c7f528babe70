import { requestContext, unauthorized } from "@accounts/shared";
import { Elysia } from "elysia";
import type { User } from "./users/schemas.ts";

/** The `bearer: true` route option: resolves `user` from `Authorization: Bearer <token>`, else 401. */
export const bearer = (authenticate: (token: string, requestId: string) => Promise<User | undefined>) =>
  new Elysia().use(requestContext).macro({
    bearer: {
      async resolve({ headers, requestId }) {
        const token = /^Bearer ([\w-]+\.[\w-]*\.[\w-]*)$/i.exec(headers.authorization ?? "")?.[1];
        const user = token ? await authenticate(token, requestId) : undefined;
        if (!user) throw unauthorized("Missing, invalid or expired bearer token");
        return { user };
      },
    },
  });
