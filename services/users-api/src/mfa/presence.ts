import { forbidden, unauthorized } from "@accounts/shared";
import type { AuthClient } from "../auth-client/client.ts";
import { orUnavailable } from "../mongodb.ts";
import type { Caller } from "../sessions/schemas.ts";
import type { Throttling } from "../throttling/service.ts";
import type { UsersCollection } from "../users/collection.ts";

/**
 * Proof of presence for a sensitive action: the caller's current password, checked as a login checks it and
 * counted like one (a wrong one is a failed login of the account; past its free failures the wait answers 429
 * before any hashing), so a stolen access token is no password oracle.
 */
export const createPresence = ({
  users,
  auth,
  throttling,
}: {
  users: UsersCollection;
  auth: AuthClient;
  throttling: Throttling;
}) => ({
  /** The caller's user document, with its hash and second factor, when `password` is right; else 403 naming `field`. */
  async password(caller: Caller, email: string, password: string, field: string, requestId: string) {
    using _hashing = await auth.admitHashing();
    const attempt = await throttling.passwordAttempt(email);
    const [pass, found] = await Promise.all([
      attempt.reserve(),
      orUnavailable(users.findById(caller.userId).select("+password +mfa").lean()),
    ]);
    if (!found) {
      await pass.release();
      throw unauthorized("Missing, invalid or expired bearer token");
    }
    // auth-api's one password check is the login's; the token it signs for the session is not used.
    const verified = await auth
      .issueToken(
        { userId: caller.userId, password, hashedPassword: found.password, sessionId: caller.sessionId },
        requestId,
      )
      .catch(async (error) => {
        await pass.release();
        throw error;
      });
    if (!verified) throw forbidden(`${field} is not this account's password`);
    await throttling.forgetFailures(pass);
    return found;
  },
});

export type Presence = ReturnType<typeof createPresence>;
