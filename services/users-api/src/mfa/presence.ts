import type { AuthClient } from "../auth-client/client.ts";
import { orUnavailable } from "../mongodb.ts";
import { codeRequired, invalidBearer, notThisPassword, wrongCode } from "../problems.ts";
import type { Caller } from "../sessions/schemas.ts";
import type { Throttling } from "../throttling/service.ts";
import type { UsersCollection } from "../users/collection.ts";
import { codeUse, presentedCode } from "./codes.ts";
import type { StoredMfa } from "./collection.ts";
import type { SecretBox } from "./secret-box.ts";

/** What proves presence: the current password, and a code (TOTP or recovery) when TOTP is on. */
export interface Proof {
  password: string;
  code?: string;
}

/**
 * Proof of presence for a sensitive action: the caller's current password, checked as a login checks it and counted
 * like one (a wrong one is a failed login of the account; past its free failures the wait answers 429 before any
 * hashing), so a stolen access token is no password oracle; then, when TOTP is on, a code, counted like a login's
 * second step and used up. 403 naming the field that is wrong or missing.
 */
export const createPresence = ({
  users,
  auth,
  throttling,
  box,
  now,
}: {
  users: UsersCollection;
  auth: AuthClient;
  throttling: Throttling;
  box: SecretBox;
  now: () => number;
}) => {
  async function checkPassword(caller: Caller, email: string, password: string, field: string, requestId: string) {
    using _hashing = await auth.admitHashing();
    const attempt = await throttling.passwordAttempt(email);
    const [pass, found] = await Promise.all([
      attempt.reserve(),
      orUnavailable(users.findById(caller.userId).select("+password +mfa").lean()),
    ]);
    if (!found) {
      await pass.release();
      throw invalidBearer();
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
    if (!verified) throw notThisPassword(field);
    await throttling.forgetFailures(pass);
    return found;
  }

  async function useCode(caller: Caller, email: string, mfa: StoredMfa, code: string) {
    const pass = await (await throttling.codeAttempt(email)).reserve();
    const use = codeUse(box, caller.userId, mfa, presentedCode(code), now());
    const used =
      use !== undefined &&
      (await orUnavailable(users.updateOne({ _id: caller.userId, ...use.filter }, use.update))).matchedCount === 1;
    if (!used) throw wrongCode();
    await throttling.forgetFailures(pass);
  }

  return {
    /** The caller's user document when `password` is right, whether or not TOTP is on (enrolling answers 409 then). */
    password: (caller: Caller, email: string, password: string, requestId: string) =>
      checkPassword(caller, email, password, "password", requestId),

    /**
     * The caller's user document (with its hash and second factor) when the proof holds. `passwordField` names the
     * password in the request (`password`, or `currentPassword` for a password change).
     */
    async prove(
      caller: Caller,
      email: string,
      { password, code }: Proof,
      requestId: string,
      passwordField = "password",
    ) {
      const found = await checkPassword(caller, email, password, passwordField, requestId);
      const mfa = found.mfa;
      if (mfa?.totp) {
        if (code === undefined) throw codeRequired();
        await useCode(caller, email, mfa, code);
      }
      return found;
    },
  };
};

export type Presence = ReturnType<typeof createPresence>;
