import { type Connection, Schema } from "mongoose";
import { ensureTtlIndex } from "../mongodb.ts";

interface MigrationLog {
  warn(details: object, message: string): void;
}

/**
 * Counters every replica shares, one document per key (`<rule>:<client>:<window start>` for a client's window,
 * `login-account:<address>` for an account's failures), so each check is one read or one `$inc` on one
 * document: no positional or pipeline updates, which FerretDB lacks. `expiresAt` is when the document stops
 * mattering; the TTL index deletes it then.
 */
const throttleSchema = new Schema(
  {
    _id: { type: String, required: true },
    count: Number,
    failures: Number,
    lastFailureAt: Date,
    expiresAt: { type: Date, required: true },
  },
  { collection: "throttles", versionKey: false },
);

/**
 * Device tokens (OWASP's "device cookie"): the SHA-256 of the token is the id, so the database never holds a
 * usable token, and a token is genuine exactly when its hash is found: unguessable (256 random bits) without any
 * server secret to keep. Each is bound to one account and counts its own failed logins.
 */
const deviceTokenSchema = new Schema(
  {
    _id: { type: String, required: true },
    userId: { type: String, required: true },
    email: { type: String, required: true },
    failures: { type: Number, default: 0 },
    lastFailureAt: Date,
    /** Past DEVICE_TOKENS_PER_ACCOUNT, the oldest go; tokens from before this field sort as oldest. */
    createdAt: Date,
    expiresAt: { type: Date, required: true },
  },
  { collection: "device_tokens", versionKey: false },
);

export const throttlesCollection = (db: Connection) => db.model("Throttle", throttleSchema);
export type ThrottlesCollection = ReturnType<typeof throttlesCollection>;
export const deviceTokensCollection = (db: Connection) => db.model("DeviceToken", deviceTokenSchema);
export type DeviceTokensCollection = ReturnType<typeof deviceTokensCollection>;

/**
 * Creates the collections' indexes: a TTL index on `expiresAt` for each, and device tokens by user (deleted with
 * their account). FerretDB 1.24, which dev and tests run, has no TTL indexes: there expired documents stay
 * (a warning says so), which changes no answer, since every read ignores what has expired. Idempotent.
 */
export async function prepareThrottlingCollections(db: Connection, log: MigrationLog): Promise<void> {
  for (const name of ["throttles", "device_tokens"])
    if (!(await ensureTtlIndex(db, name, "expiresAt")))
      log.warn({ collection: name }, "this database has no TTL indexes: expired documents are not deleted");
  await db.collection("device_tokens").createIndex({ userId: 1 }, { name: "userId_1" });
}
