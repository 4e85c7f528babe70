import type { Logger } from "@accounts/shared";
import type { AuditContext } from "../audit/schemas.ts";
import type { AuditService } from "../audit/service.ts";
import type { AuthClient } from "../auth-client/client.ts";
import type { MailQuota } from "../mail/quota.ts";
import type { Mailer } from "../mail/service.ts";
import { passwordChangedMail, passwordResetMail } from "../mail/templates.ts";
import { orUnavailable } from "../mongodb.ts";
import { resetTokenInvalid as invalidToken } from "../problems.ts";
import { type OneTimeTokensCollection, RESET_TOKEN_TTL_MS } from "../one-time-token.ts";
import { newSecretToken, tokenHash } from "../secret-token.ts";
import type { PasswordPolicy } from "../password-policy/service.ts";
import type { Throttling } from "../throttling/service.ts";
import type { UsersCollection } from "../users/collection.ts";
import type { ResetPasswordRequest } from "./schemas.ts";

export interface PasswordResetDeps {
  tokens: OneTimeTokensCollection;
  users: UsersCollection;
  auth: Pick<AuthClient, "hashPassword">;
  passwordPolicy: PasswordPolicy;
  /** Ends every session of the user, once the new password is stored. */
  endAllSessions: (userId: string) => Promise<void>;
  /** Ends the account's device tokens and failure count; answers a new device token for the one who reset. */
  replaceDeviceTokens: Throttling["passwordReplaced"];
  mailer: Mailer;
  quota: MailQuota;
  publicUrl: string;
  logger: Logger;
  audit: Pick<AuditService, "record">;
  /** Milliseconds since the epoch: when a link expires. */
  now: () => number;
}

export type PasswordResetService = ReturnType<typeof createPasswordResetService>;

export function createPasswordResetService(deps: PasswordResetDeps) {
  const {
    tokens,
    users,
    auth,
    passwordPolicy,
    endAllSessions,
    replaceDeviceTokens,
    mailer,
    quota,
    publicUrl,
    logger,
    audit,
    now,
  } = deps;

  /**
   * A new link for the address's account, if it has one, voiding older links; runs after the answer. The account the
   * link was made for, if one was.
   */
  async function issue(email: string, requestId: string) {
    try {
      const user = await users.findOne({ email }).lean();
      if (!user) return undefined;
      const { token, hash } = newSecretToken();
      await tokens.deleteMany({ userId: user._id });
      await tokens.create({ _id: hash, userId: user._id, expiresAt: new Date(now() + RESET_TOKEN_TTL_MS) });
      mailer.send(passwordResetMail(user.email, `${publicUrl}/reset-password#token=${token}`), requestId);
      return user;
    } catch {
      // Only a database failure gets here; its error could quote the token's hash.
      logger.error({ requestId, kind: "password-reset" }, "reset link not created: database error");
      return undefined;
    }
  }

  return {
    /**
     * Sends a reset link if `email` has an account and had none this minute. The caller learns nothing: the answer
     * waits only for the quota's one write, the same for every address; looking the account up, making the token
     * and sending the mail happen after it, so neither the answer nor its timing depends on the account existing.
     * Audited when a link was made for an account.
     */
    async forgot(email: string, context: AuditContext): Promise<void> {
      if (!(await quota.take(`reset:${email}`))) return;
      void issue(email, context.requestId).then(
        (user) => user && audit.record("password.reset_requested", context, { userId: String(user._id), email }),
      );
    },

    /**
     * Sends a reset link to the account at `email` without taking the quota: for a caller that has proved control
     * of the address already (an undone email change), whom an earlier request this minute must not leave without
     * one. Like `forgot`, it runs after the answer and never throws.
     */
    sendLink(email: string, requestId: string): void {
      void issue(email, requestId);
    },

    /**
     * Sets the new password (sign-up's rules), ends every session and device token, forgets the account's failed
     * logins (the link proved control of the mailbox, so a stranger's guesses no longer hold the owner back), marks
     * the address verified (the link proved the user reads it), sends a notice, and answers a new device token.
     * The token is used up only once the password passed the policy and was hashed, so a refused password or an
     * auth-api outage leaves the link working; its deletion is the one decision between two submissions of the
     * same link.
     */
    async reset({ token, newPassword }: ResetPasswordRequest, context: AuditContext) {
      const { requestId } = context;
      const hash = tokenHash(token);
      const pending = await orUnavailable(tokens.findOne({ _id: hash, expiresAt: { $gt: new Date(now()) } }).lean());
      const user = pending && (await orUnavailable(users.findById(pending.userId).lean()));
      if (!user) throw invalidToken();
      passwordPolicy.check(newPassword, user.email, "newPassword");
      const passwordHash = await auth.hashPassword(newPassword, requestId);
      const used = await orUnavailable(tokens.deleteOne({ _id: hash, expiresAt: { $gt: new Date(now()) } }));
      if (used.deletedCount !== 1) throw invalidToken();
      await orUnavailable(
        users.updateOne({ _id: user._id }, { $set: { passwordHash, emailVerified: true } }, { translateAliases: true }),
      );
      const [device] = await Promise.all([
        replaceDeviceTokens(user.email),
        orUnavailable(tokens.deleteMany({ userId: user._id })),
        endAllSessions(String(user._id)),
      ]);
      mailer.send(passwordChangedMail(user.email), requestId);
      audit.record("password.reset", context, { userId: String(user._id), email: user.email });
      return device;
    },
  };
}
