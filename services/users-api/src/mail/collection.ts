import { type Connection, Schema } from "mongoose";

export const mailQuotasCollectionName = "mail_quotas";

interface MailQuotaFields {
  /** SHA-256 of what the quota is for (`verify:<user id>`, `reset:<address>`), so no address is stored here. */
  _id: string;
  /** Until when no further mail goes out for it. */
  expiresAt: Date;
}

const mailQuotaSchema = new Schema<MailQuotaFields>(
  { _id: { type: String, required: true }, expiresAt: { type: Date, required: true } },
  { collection: mailQuotasCollectionName, versionKey: false },
);

export const mailQuotasCollection = (db: Connection) => db.model("MailQuota", mailQuotaSchema);
export type MailQuotasCollection = ReturnType<typeof mailQuotasCollection>;
