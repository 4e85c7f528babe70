import type { Connection } from "mongoose";
import { oneTimeTokensCollection } from "../one-time-token.ts";

export const resetTokensCollectionName = "password_reset_tokens";

export const resetTokensCollection = (db: Connection) =>
  oneTimeTokensCollection(db, "PasswordResetToken", resetTokensCollectionName);
