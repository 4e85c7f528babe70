import type { Connection } from "mongoose";
import { oneTimeTokensCollection } from "../one-time-token.ts";

export const verificationTokensCollectionName = "email_verification_tokens";

export const verificationTokensCollection = (db: Connection) =>
  oneTimeTokensCollection(db, "EmailVerificationToken", verificationTokensCollectionName);
