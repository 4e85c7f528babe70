import { conflict, forbidden, unauthorized } from "@accounts/shared";
import type { AuthClient } from "../auth-client/client.ts";
import type { Mailer } from "../mail/service.ts";
import { passwordChangedMail } from "../mail/templates.ts";
import { orUnavailable } from "../mongodb.ts";
import type { PasswordPolicy } from "../password-policy/service.ts";
import { hasSession } from "../sessions/queries.ts";
import type { Caller } from "../sessions/schemas.ts";
import type { SessionService } from "../sessions/service.ts";
import type { Throttling } from "../throttling/service.ts";
import type { UsersCollection } from "../users/collection.ts";
import type { PasswordChange } from "./schemas.ts";

export type PasswordService = ReturnType<typeof createPasswordService>;

export const createPasswordService = ({
  users,
  auth,
  sessions,
  throttling,
  passwordPolicy,
  mailer,
}: {
  users: UsersCollection;
  auth: AuthClient;
  sessions: SessionService;
  throttling: Throttling;
  passwordPolicy: PasswordPolicy;
  mailer: Mailer;
}) => ({
  /**
   * Replaces the caller's password when `currentPassword` is right, ends every other session and every device
   * token of theirs, tells the address (a notice without any link or token), and answers this device's new token.
   * A wrong `currentPassword` counts like a failed login, under the same wait: a stolen token is no oracle.
   */
  async change(caller: Caller, email: string, { currentPassword, newPassword }: PasswordChange, requestId: string) {
    using _hashing = await auth.admitHashing();
    passwordPolicy.check(newPassword, email, "newPassword");
    const attempt = await throttling.passwordAttempt(email);
    const [pass, found] = await Promise.all([
      attempt.reserve(),
      orUnavailable(users.findById(caller.userId).select("+password")),
    ]);
    if (!found) {
      await pass.release();
      throw unauthorized("Missing, invalid or expired bearer token");
    }
    // auth-api's one password check is the login's; the token it signs for the session is not used.
    const verified = await auth
      .issueToken(
        {
          userId: caller.userId,
          password: currentPassword,
          hashedPassword: found.passwordHash,
          sessionId: caller.sessionId,
        },
        requestId,
      )
      .catch(async (error) => {
        await pass.release();
        throw error;
      });
    if (!verified) throw forbidden("currentPassword is not this account's password");
    const [passwordHash] = await Promise.all([
      auth.hashPassword(newPassword, requestId),
      throttling.forgetFailures(pass),
    ]);
    // Conditional on the hash just checked and on this session still being live, so neither a concurrent
    // change nor a logout in between is overwritten.
    const { matchedCount } = await orUnavailable(
      users.updateOne(
        { _id: found._id, passwordHash: found.passwordHash, ...hasSession(caller.sessionId) },
        { $set: { passwordHash } },
        { translateAliases: true },
      ),
    );
    if (matchedCount === 0) throw conflict("The password or this session changed meanwhile; nothing was changed");
    const [device] = await Promise.all([throttling.passwordReplaced(found.email), sessions.endOthers(caller)]);
    mailer.send(passwordChangedMail(found.email), requestId);
    return device;
  },
});
