import type { Logger } from "@accounts/shared";
import type { Types } from "mongoose";
import type { MailQuota } from "../mail/quota.ts";
import type { Mailer } from "../mail/service.ts";
import { emailChangedMail, emailChangeMail, emailChangeTakenMail } from "../mail/templates.ts";
import type { Presence } from "../mfa/presence.ts";
import { isDuplicateKey, orUnavailable } from "../mongodb.ts";
import type { PasswordResetService } from "../password-reset/service.ts";
import { newSecretToken, tokenHash } from "../secret-token.ts";
import type { Caller } from "../sessions/schemas.ts";
import type { SessionService } from "../sessions/service.ts";
import type { Throttling } from "../throttling/service.ts";
import type { UsersCollection } from "../users/collection.ts";
import type { User } from "../users/schemas.ts";
import {
  addressTakenMeanwhile,
  emailChangeTokenInvalid as invalidToken,
  lastChangeUndoable,
  passwordRequiredToChangeEmail,
  sameAddress,
} from "../problems.ts";
import { toUser } from "../users/user.ts";
import {
  EMAIL_CHANGE_CONFIRM_TTL_MS,
  EMAIL_CHANGE_REVERT_TTL_MS,
  type EmailChangePurpose,
  type EmailChangeTokensCollection,
} from "./collection.ts";
import type { EmailChangeRequest } from "./schemas.ts";

export interface EmailChangeDeps {
  tokens: EmailChangeTokensCollection;
  users: UsersCollection;
  presence: Presence;
  sessions: Pick<SessionService, "endAllOnEmailChange">;
  throttling: Pick<Throttling, "forgetAccount">;
  passwordReset: Pick<PasswordResetService, "sendLink">;
  mailer: Mailer;
  quota: MailQuota;
  publicUrl: string;
  logger: Logger;
  /** Milliseconds since the epoch: the links' expiry. */
  now: () => number;
}

export type EmailChangeService = ReturnType<typeof createEmailChangeService>;

export function createEmailChangeService(deps: EmailChangeDeps) {
  const { tokens, users, presence, sessions, throttling, passwordReset, mailer, quota, publicUrl, logger, now } = deps;

  /**
   * The mail a request makes, after the answer: a confirmation link when `to` is free, else a notice to `to` with
   * no link. Either way the account's older confirmation links are void: the newest request is the one pending.
   */
  async function issue(userId: string, from: string, to: string, requestId: string) {
    try {
      await tokens.deleteMany({ userId, purpose: "confirm" });
      if (await users.exists({ email: to })) {
        mailer.send(emailChangeTakenMail(to), requestId);
        return;
      }
      const { token, hash } = newSecretToken();
      const expiresAt = new Date(now() + EMAIL_CHANGE_CONFIRM_TTL_MS);
      await tokens.create({ _id: hash, purpose: "confirm", userId, from, to, expiresAt });
      mailer.send(emailChangeMail(to, `${publicUrl}/email-change/confirm#token=${token}`), requestId);
    } catch {
      // Only a database failure gets here; its error could quote the token's hash.
      logger.error({ requestId, kind: "email-change" }, "email change link not created: database error");
    }
  }

  /** The live link of this purpose, if `token` is one. */
  const pending = (token: string, purpose: EmailChangePurpose) =>
    orUnavailable(tokens.findOne({ _id: tokenHash(token), purpose, expiresAt: { $gt: new Date(now()) } }).lean());

  /**
   * Gives the account `to`, only while it still has `from`: one conditional update, and the unique index on `email`
   * refuses it (409) when another account has `to` now. Of two uses of one link only one matches, so the write is
   * what makes a link single-use; a link whose account moved on is deleted and refused.
   */
  async function move(hash: string, userId: Types.ObjectId, from: string, to: string) {
    const { matchedCount } = await orUnavailable(
      users.updateOne({ _id: userId, email: from }, { $set: { email: to, emailVerified: true } }),
    ).catch((error) => {
      if (isDuplicateKey(error)) throw addressTakenMeanwhile();
      throw error;
    });
    if (matchedCount === 1) return;
    await orUnavailable(tokens.deleteOne({ _id: hash }));
    throw invalidToken();
  }

  /**
   * After the account's address moved from `from` to `to`: every session ends, and both addresses' throttling
   * documents (keyed by address: failures and device tokens) are forgotten, so no device token earned under either
   * address outlives the move, and whoever has the other address later starts afresh.
   */
  const afterMove = (userId: Types.ObjectId, from: string, to: string) =>
    Promise.all([
      sessions.endAllOnEmailChange(String(userId)),
      throttling.forgetAccount(from),
      throttling.forgetAccount(to),
    ]);

  const userById = async (userId: Types.ObjectId) => {
    const found = await orUnavailable(users.findById(userId).lean());
    if (!found) throw invalidToken();
    return toUser(found);
  };

  return {
    /**
     * Asks to move the caller's account to `newEmail` once presence is proven. The answer is the same whether or not
     * the address has an account: it waits only for the proof and the mail quota's one write (one mail a minute per
     * address, silently), and the look-up and the mail happen after it (see `issue`).
     */
    async request(
      caller: Caller,
      current: User,
      { newEmail, password, code }: EmailChangeRequest,
      requestId: string,
    ): Promise<void> {
      if (newEmail === current.email) throw sameAddress();
      if (password === undefined) throw passwordRequiredToChangeEmail();
      await presence.prove(caller, current.email, { password, code }, requestId);
      // While the last change can still be undone, no other: else whoever moved the account (with the password and
      // code) could move it on at once, and the undo link the old address got would match nothing.
      const undoable = await orUnavailable(
        tokens.exists({ userId: current.id, purpose: "revert", expiresAt: { $gt: new Date(now()) } }),
      );
      if (undoable) throw lastChangeUndoable();
      if (await quota.take(`email-change:${newEmail}`)) void issue(current.id, current.email, newEmail, requestId);
    },

    /**
     * Moves the account to the link's address (verified: the link proved its reader asked), ends every session,
     * and sends the old address a notice with an undo link.
     */
    async confirm(token: string, requestId: string): Promise<User> {
      const link = await pending(token, "confirm");
      if (!link) throw invalidToken();
      const { _id, userId, from, to } = link;
      await move(_id, userId, from, to);
      const undo = newSecretToken();
      const expiresAt = new Date(now() + EMAIL_CHANGE_REVERT_TTL_MS);
      await Promise.all([
        orUnavailable(tokens.deleteMany({ userId, purpose: "confirm" })),
        orUnavailable(tokens.create({ _id: undo.hash, purpose: "revert", userId, from, to, expiresAt })),
        afterMove(userId, from, to),
      ]);
      mailer.send(emailChangedMail(from, to, `${publicUrl}/email-change/revert#token=${undo.token}`), requestId);
      return userById(userId);
    },

    /**
     * Undoes a change: the account gets its old address back (verified: the link was read there), every session
     * and device token ends, every pending link of the account is void, and the old address gets a password reset
     * link, since whoever moved the account may know its password.
     */
    async revert(token: string, requestId: string): Promise<User> {
      const link = await pending(token, "revert");
      if (!link) throw invalidToken();
      const { _id, userId, from, to } = link;
      await move(_id, userId, to, from);
      await Promise.all([orUnavailable(tokens.deleteMany({ userId })), afterMove(userId, to, from)]);
      passwordReset.sendLink(from, requestId);
      return userById(userId);
    },
  };
}
