import { conflict, forbidden, unauthorized } from "@accounts/shared";
import { Types, isValidObjectId } from "mongoose";
import type { AuthClient } from "../auth-client/client.ts";
import { emailNotVerified, type EmailVerificationService } from "../email-verification/service.ts";
import { isDuplicateKey, orUnavailable } from "../mongodb.ts";
import type { PasswordPolicy } from "../password-policy/service.ts";
import type { UsersCollection } from "./collection.ts";
import type { LogInRequest, LogInResponse, SignUpRequest, User } from "./schemas.ts";

type StoredUser = { _id: Types.ObjectId; email: string; createdAt?: Date; emailVerified?: boolean };

// Seed-era documents have no `createdAt`; their ObjectId still records when they were made.
export const toUser = ({ _id, email, createdAt, emailVerified }: StoredUser): User => ({
  id: String(_id),
  email,
  createdAt: (createdAt ?? _id.getTimestamp()).toISOString(),
  emailVerified: emailVerified === true,
});

export interface UsersServiceOptions {
  passwordPolicy: PasswordPolicy;
  emailVerification: Pick<EmailVerificationService, "afterSignUp">;
  /** REQUIRE_VERIFIED_EMAIL. */
  requireVerifiedEmail: boolean;
}

export type UsersService = ReturnType<typeof createUsersService>;

export function createUsersService(
  users: UsersCollection,
  auth: AuthClient,
  { passwordPolicy, emailVerification, requireVerifiedEmail }: UsersServiceOptions,
) {
  return {
    async signUp({ email, password }: SignUpRequest, requestId: string): Promise<User> {
      passwordPolicy.check(password, email, "password");
      const passwordHash = await auth.hashPassword(password, requestId);
      let user: User;
      try {
        user = toUser(await orUnavailable(new users({ email, passwordHash, emailVerified: false }).save()));
      } catch (error) {
        // The unique index decides between concurrent sign-ups of one address: no check-then-insert race.
        if (isDuplicateKey(error)) throw conflict("An account with this email already exists");
        throw error;
      }
      await emailVerification.afterSignUp(user, requestId);
      return user;
    },

    async logIn({ email, password }: LogInRequest, requestId: string): Promise<LogInResponse> {
      // The only query that selects the hash (the schema has `select: false` on it).
      const found = await orUnavailable(users.findOne({ email }).select("+password"));
      // An unknown address still costs one verification (auth-api checks a dummy hash when
      // `hashedPassword` is absent): the answer and its timing do not tell which addresses exist.
      const userId = String(found?._id ?? new Types.ObjectId());
      const grant = await auth.issueToken({ userId, password, hashedPassword: found?.passwordHash }, requestId);
      if (!found || !grant) throw unauthorized("Wrong email or password");
      if (grant.rehashed)
        // Conditional on the old hash, so a concurrent login's upgrade is not overwritten.
        await orUnavailable(
          users.updateOne(
            { _id: found._id, passwordHash: found.passwordHash },
            { $set: { passwordHash: grant.rehashed } },
            { translateAliases: true },
          ),
        );
      // Only after the password proved right: a wrong one still gets the ordinary 401.
      if (requireVerifiedEmail && found.emailVerified !== true) throw emailNotVerified();
      return { token: grant.token, tokenType: grant.tokenType, expiresIn: grant.expiresIn, userId };
    },

    /** The user a token was issued to, if the token is genuine, that user still exists and it was not ended. */
    async authenticate(token: string, requestId: string): Promise<User | undefined> {
      const claims = await auth.verifyAccessToken(token, requestId);
      if (!claims || !isValidObjectId(claims.userId)) return undefined;
      const found = await orUnavailable(users.findById(claims.userId).lean());
      if (!found) return undefined;
      if (found.sessionsEndedAt && claims.issuedAt <= Math.floor(found.sessionsEndedAt.getTime() / 1000))
        return undefined;
      return toUser(found);
    },

    /**
     * Ends every session of the user: their access tokens (stateless JWTs) are refused from now on. `iat` counts
     * whole seconds, so tokens of the current second are refused too, and this returns only once that second is
     * over: a login after it gets a token that works.
     */
    async endAllSessions(userId: string): Promise<void> {
      const now = new Date();
      await orUnavailable(users.updateOne({ _id: userId }, { $set: { sessionsEndedAt: now } }));
      await Bun.sleep(Math.max(0, (Math.floor(now.getTime() / 1000) + 1) * 1000 - Date.now()));
    },

    /** Deletes the token's user; `email`, if the client sent one, must be that user's. */
    async remove(current: User, email: string | undefined): Promise<void> {
      if (email !== undefined && email !== current.email)
        throw forbidden("The email is not the token's user: a token can delete only its own account");
      await orUnavailable(users.deleteOne({ _id: current.id }));
    },
  };
}
