import { type Connection, Schema, type Types } from "mongoose";

export const emailChangeTokensCollectionName = "email_change_tokens";

/** How long a confirmation link works: a day, like a verification link, so it can wait until the next morning. */
export const EMAIL_CHANGE_CONFIRM_TTL_MS = 24 * 3_600_000;
/** How long the undo link works: a week, time for an owner who did not make the change to notice the notice. */
export const EMAIL_CHANGE_REVERT_TTL_MS = 7 * 24 * 3_600_000;

/** A confirmation link (sent to the new address) or an undo link (sent to the old one, after the change). */
export type EmailChangePurpose = "confirm" | "revert";

interface EmailChangeTokenFields {
  /** The token's hash (secret-token.ts): the token in the link is never stored. */
  _id: string;
  purpose: EmailChangePurpose;
  userId: Types.ObjectId;
  /** The account's address when the change was asked for: the change and its undo are conditional on it. */
  from: string;
  to: string;
  expiresAt: Date;
}

const emailChangeTokenSchema = new Schema<EmailChangeTokenFields>(
  {
    _id: { type: String, required: true },
    purpose: { type: String, required: true, enum: ["confirm", "revert"] },
    userId: { type: Schema.Types.ObjectId, required: true },
    from: { type: String, required: true },
    to: { type: String, required: true },
    expiresAt: { type: Date, required: true },
  },
  { versionKey: false },
);

export const emailChangeTokensCollection = (db: Connection) =>
  db.model("EmailChangeToken", emailChangeTokenSchema, emailChangeTokensCollectionName);
export type EmailChangeTokensCollection = ReturnType<typeof emailChangeTokensCollection>;
