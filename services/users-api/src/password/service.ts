import { conflict, forbidden, unauthorized } from "@accounts/shared";
import type { AuthClient } from "../auth-client/client.ts";
import type { Mailer } from "../mail/service.ts";
import { passwordChangedMail } from "../mail/templates.ts";
import { orUnavailable } from "../mongodb.ts";
import type { PasswordPolicy } from "../password-policy/service.ts";
import type { Caller } from "../sessions/schemas.ts";
import type { SessionService } from "../sessions/service.ts";
import type { UsersCollection } from "../users/collection.ts";
import type { PasswordChange } from "./schemas.ts";

export type PasswordService = ReturnType<typeof createPasswordService>;

export const createPasswordService = ({
  users,
  auth,
  sessions,
  passwordPolicy,
  mailer,
}: {
  users: UsersCollection;
  auth: AuthClient;
  sessions: SessionService;
  passwordPolicy: PasswordPolicy;
  mailer: Mailer;
}) => ({
  /**
   * Replaces the caller's password when `currentPassword` is right, ends every other session of theirs, and tells
   * the address (a notice without any link or token).
   */
  async change(caller: Caller, { currentPassword, newPassword }: PasswordChange, requestId: string): Promise<void> {
    const found = await orUnavailable(users.findById(caller.userId).select("+password"));
    if (!found) throw unauthorized("Missing, invalid or expired bearer token");
    passwordPolicy.check(newPassword, found.email, "newPassword");
    // auth-api's one password check is the login's; the token it signs for the session is not used.
    const verified = await auth.issueToken(
      {
        userId: caller.userId,
        password: currentPassword,
        hashedPassword: found.passwordHash,
        sessionId: caller.sessionId,
      },
      requestId,
    );
    if (!verified) throw forbidden("currentPassword is not this account's password");
    const passwordHash = await auth.hashPassword(newPassword, requestId);
    // Conditional on the hash just checked and on this session still being live, so neither a concurrent
    // change nor a logout in between is overwritten.
    const { matchedCount } = await orUnavailable(
      users.updateOne(
        { _id: found._id, passwordHash: found.passwordHash, sessionIds: caller.sessionId },
        { $set: { passwordHash } },
        { translateAliases: true },
      ),
    );
    if (matchedCount === 0) throw conflict("The password or this session changed meanwhile; nothing was changed");
    await sessions.endOthers(caller);
    mailer.send(passwordChangedMail(found.email), requestId);
  },
});
