import { type Connection, Schema, type Types } from "mongoose";

/** How long a verification link works: a day, so a sign-up in the evening can be confirmed the next morning. */
export const VERIFICATION_TOKEN_TTL_MS = 24 * 3_600_000;
/** How long a reset link works: short, since whoever holds it can take the account over. */
export const RESET_TOKEN_TTL_MS = 30 * 60_000;

interface OneTimeTokenFields {
  /** The token's hash (secret-token.ts): the token in the link is never stored. */
  _id: string;
  userId: Types.ObjectId;
  expiresAt: Date;
}

const oneTimeTokenSchema = new Schema<OneTimeTokenFields>(
  {
    _id: { type: String, required: true },
    userId: { type: Schema.Types.ObjectId, required: true },
    expiresAt: { type: Date, required: true },
  },
  { versionKey: false },
);

/** The collection of one kind of emailed link's tokens (verification, reset): one document per link. */
export const oneTimeTokensCollection = (db: Connection, model: string, collection: string) =>
  db.model(model, oneTimeTokenSchema, collection);
export type OneTimeTokensCollection = ReturnType<typeof oneTimeTokensCollection>;
