import { HttpProblem, type Logger } from "@accounts/shared";
import type { Types } from "mongoose";
import type { Mailer } from "../mail/service.ts";
import type { MailQuota } from "../mail/quota.ts";
import { verificationMail } from "../mail/templates.ts";
import { isDatabaseUnavailable, orUnavailable } from "../mongodb.ts";
import { type OneTimeTokensCollection, VERIFICATION_TOKEN_TTL_MS } from "../one-time-token.ts";
import { newSecretToken, tokenHash } from "../secret-token.ts";
import type { UsersCollection } from "../users/collection.ts";
import type { User } from "../users/schemas.ts";
import { emailAlreadyVerified, verificationMailTooSoon, verificationTokenInvalid } from "../problems.ts";
import { toUser } from "../users/user.ts";

export interface EmailVerificationDeps {
  tokens: OneTimeTokensCollection;
  users: UsersCollection;
  mailer: Mailer;
  quota: MailQuota;
  publicUrl: string;
  logger: Logger;
  /** Milliseconds since the epoch: when a link expires. */
  now: () => number;
}

export type EmailVerificationService = ReturnType<typeof createEmailVerificationService>;

export function createEmailVerificationService({
  tokens,
  users,
  mailer,
  quota,
  publicUrl,
  logger,
  now,
}: EmailVerificationDeps) {
  const quotaKey = (userId: string) => `verify:${userId}`;

  async function issue(user: { id: string; email: string }, requestId: string) {
    const { token, hash } = newSecretToken();
    await orUnavailable(
      tokens.create({ _id: hash, userId: user.id, expiresAt: new Date(now() + VERIFICATION_TOKEN_TTL_MS) }),
    );
    mailer.send(verificationMail(user.email, `${publicUrl}/verify-email#token=${token}`), requestId);
  }

  return {
    /**
     * The first verification mail, right after sign-up. Never throws: the account exists whatever happens here,
     * and its owner can ask for another mail. Takes the account's mail for this minute, so a resend at once is 429.
     */
    async afterSignUp(user: User, requestId: string): Promise<void> {
      try {
        await quota.take(quotaKey(user.id));
        await issue(user, requestId);
      } catch (error) {
        const reason = isDatabaseUnavailable(error) || error instanceof HttpProblem ? "database unavailable" : "error";
        logger.error({ requestId, reason }, "verification mail not sent after sign-up");
      }
    },

    /** Another verification mail: one a minute per account (429 with Retry-After inside the minute). */
    async resend(user: User, requestId: string): Promise<void> {
      if (user.emailVerified) throw emailAlreadyVerified();
      if (!(await quota.take(quotaKey(user.id))))
        throw verificationMailTooSoon(await quota.secondsLeft(quotaKey(user.id)));
      await issue(user, requestId);
    },

    /** Marks the token's user verified; the token is used up in the same operation that finds it. */
    async verify(token: string): Promise<User> {
      const used = await orUnavailable(
        tokens.findOneAndDelete({ _id: tokenHash(token), expiresAt: { $gt: new Date(now()) } }).lean(),
      );
      // Not findOneAndUpdate: FerretDB cannot apply the projection mongoose adds for the hidden password field.
      const marked =
        used &&
        (await orUnavailable(
          users.updateOne({ _id: used.userId as Types.ObjectId }, { $set: { emailVerified: true } }),
        ));
      const verified = marked?.matchedCount === 1 && (await orUnavailable(users.findById(used!.userId).lean()));
      if (!verified) throw verificationTokenInvalid();
      return toUser(verified);
    },
  };
}
