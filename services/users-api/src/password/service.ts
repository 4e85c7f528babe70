import type { AuthClient } from "../auth-client/client.ts";
import type { Mailer } from "../mail/service.ts";
import type { Presence } from "../mfa/presence.ts";
import { passwordChangedMail } from "../mail/templates.ts";
import { orUnavailable } from "../mongodb.ts";
import type { PasswordPolicy } from "../password-policy/service.ts";
import { passwordChangedMeanwhile } from "../problems.ts";
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
  presence,
  passwordPolicy,
  mailer,
}: {
  users: UsersCollection;
  auth: AuthClient;
  sessions: SessionService;
  throttling: Throttling;
  presence: Presence;
  passwordPolicy: PasswordPolicy;
  mailer: Mailer;
}) => ({
  /**
   * Replaces the caller's password once presence is proven (`currentPassword`, and `code` while TOTP is on: each
   * wrong one counts like a failed login, under the same wait, so a stolen token is no oracle), ends every other
   * session and every device token of theirs, tells the address (a notice without any link or token), and answers
   * this device's new token.
   */
  async change(
    caller: Caller,
    email: string,
    { currentPassword, newPassword, code }: PasswordChange,
    requestId: string,
  ) {
    passwordPolicy.check(newPassword, email, "newPassword");
    const found = await presence.prove(
      caller,
      email,
      { password: currentPassword, code },
      requestId,
      "currentPassword",
    );
    // A second hashing, admitted on its own: the check above has released its slot.
    using _hashing = await auth.admitHashing();
    const passwordHash = await auth.hashPassword(newPassword, requestId);
    // Conditional on the hash just checked and on this session still being live, so neither a concurrent
    // change nor a logout in between is overwritten.
    const { matchedCount } = await orUnavailable(
      users.updateOne(
        { _id: found._id, passwordHash: found.password, ...hasSession(caller.sessionId) },
        { $set: { passwordHash } },
        { translateAliases: true },
      ),
    );
    if (matchedCount === 0) throw passwordChangedMeanwhile();
    const [device] = await Promise.all([throttling.passwordReplaced(found.email), sessions.endOthers(caller)]);
    mailer.send(passwordChangedMail(found.email), requestId);
    return device;
  },
});
