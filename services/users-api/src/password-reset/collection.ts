import { type Connection, Schema, type Types } from "mongoose";

export const resetTokensCollectionName = "password_reset_tokens";

interface ResetTokenFields {
  /** SHA-256 of the token in the link: the token itself is never stored. */
  _id: string;
  userId: Types.ObjectId;
  expiresAt: Date;
}

const resetTokenSchema = new Schema<ResetTokenFields>(
  {
    _id: { type: String, required: true },
    userId: { type: Schema.Types.ObjectId, required: true },
    expiresAt: { type: Date, required: true },
  },
  { collection: resetTokensCollectionName, versionKey: false },
);

export const resetTokensCollection = (db: Connection) => db.model("PasswordResetToken", resetTokenSchema);
export type ResetTokensCollection = ReturnType<typeof resetTokensCollection>;
