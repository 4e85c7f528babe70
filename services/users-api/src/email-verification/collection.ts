import { type Connection, Schema, type Types } from "mongoose";

export const verificationTokensCollectionName = "email_verification_tokens";

interface VerificationTokenFields {
  /** SHA-256 of the token in the link: the token itself is never stored. */
  _id: string;
  userId: Types.ObjectId;
  expiresAt: Date;
}

const verificationTokenSchema = new Schema<VerificationTokenFields>(
  {
    _id: { type: String, required: true },
    userId: { type: Schema.Types.ObjectId, required: true },
    expiresAt: { type: Date, required: true },
  },
  { collection: verificationTokensCollectionName, versionKey: false },
);

export const verificationTokensCollection = (db: Connection) =>
  db.model("EmailVerificationToken", verificationTokenSchema);
export type VerificationTokensCollection = ReturnType<typeof verificationTokensCollection>;
