import { conflict, forbidden, unauthorized } from "@accounts/shared";
import { Types, isValidObjectId } from "mongoose";
import type { AuthClient } from "../auth-client/client.ts";
import { isDuplicateKey, stored } from "../mongodb.ts";
import type { Authenticate } from "../sessions/bearer.ts";
import { callerQuery } from "../sessions/queries.ts";
import type { Client, SessionGrant } from "../sessions/schemas.ts";
import type { SessionService } from "../sessions/service.ts";
import type { UsersCollection } from "./collection.ts";
import type { Credentials, User } from "./model.ts";

type StoredUser = { _id: Types.ObjectId; email: string; createdAt?: Date };

// Seed-era documents have no `createdAt`; their ObjectId still records when they were made.
const present = ({ _id, email, createdAt }: StoredUser): User => ({
  id: String(_id),
  email,
  createdAt: (createdAt ?? _id.getTimestamp()).toISOString(),
});

export type UsersService = ReturnType<typeof usersService>;

export function usersService(users: UsersCollection, auth: AuthClient, sessions: SessionService) {
  return {
    async signUp({ email, password }: Credentials, requestId: string): Promise<User> {
      const passwordHash = await auth.hashPassword(password, requestId);
      try {
        return present(await stored(new users({ email, passwordHash }).save()));
      } catch (error) {
        // The unique index decides between concurrent sign-ups of one address: no check-then-insert race.
        if (isDuplicateKey(error)) throw conflict("An account with this email already exists");
        throw error;
      }
    },

    async logIn({ email, password }: Credentials, client: Client, requestId: string): Promise<SessionGrant> {
      // The only query that selects the hash (the schema has `select: false` on it).
      const found = await stored(users.findOne({ email }).select("+password +sessionIds"));
      // An unknown address still costs one verification (auth-api checks a dummy hash when
      // `hashedPassword` is absent): the answer and its timing do not tell which addresses exist.
      const userId = String(found?._id ?? new Types.ObjectId());
      // The session's id is chosen now so that auth-api signs it into the access token (`sid`).
      const sessionId = crypto.randomUUID();
      const grant = await auth.issueToken(
        { userId, password, hashedPassword: found?.passwordHash, sessionId },
        requestId,
      );
      if (!found || !grant) throw unauthorized("Wrong email or password");
      if (grant.rehashed)
        // Conditional on the old hash, so a concurrent login's upgrade is not overwritten.
        await stored(
          users.updateOne(
            { _id: found._id, passwordHash: found.passwordHash },
            { $set: { passwordHash: grant.rehashed } },
            { translateAliases: true },
          ),
        );
      return sessions.open({ userId: found._id, sessionId, listed: found.sessionIds ?? [], client }, grant);
    },

    /** The user a token was issued to, if the token is genuine, that user still exists and its session is live. */
    authenticate: (async (token, requestId) => {
      const caller = await auth.verifyToken(token, requestId);
      if (!caller || !isValidObjectId(caller.userId)) return undefined;
      const { filter, projection } = callerQuery(caller);
      const found = await stored(users.findOne(filter, projection).lean());
      return found ? { user: present(found), caller } : undefined;
    }) satisfies Authenticate,

    /** Deletes the token's user; `email`, if the client sent one, must be that user's. */
    async remove(current: User, email: string | undefined): Promise<void> {
      if (email !== undefined && email !== current.email)
        throw forbidden("The email is not the token's user: a token can delete only its own account");
      await stored(users.deleteOne({ _id: current.id }));
      await sessions.endAll(current.id);
    },
  };
}
