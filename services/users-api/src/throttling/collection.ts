import { type Connection, Schema } from "mongoose";
import { ensureTtlIndex, recordMigration } from "../mongodb.ts";

interface MigrationLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

/** A device token (OWASP's "device cookie"), in its account's document: it counts its own failed logins. */
export interface StoredDevice {
  failures: number;
  lastFailureAt?: Date;
  /** Past DEVICE_TOKENS_PER_ACCOUNT, the oldest go. */
  createdAt: Date;
  expiresAt: Date;
}

/** Consecutive failures and when the last was. */
export interface FailureCount {
  failures?: number | null;
  lastFailureAt?: Date | null;
}

/**
 * An account's document: its failed logins (wrong passwords), its wrong second-factor codes in `codes` (a count of
 * their own, so a stranger's password guesses never hold up the owner's codes), and its device tokens by the SHA-256
 * of each.
 */
export interface AccountCount extends FailureCount {
  codes?: FailureCount;
  devices?: Record<string, StoredDevice>;
}

/**
 * Counters every replica shares, one document per key, so each check is one read or one conditional write of one
 * document: no positional or pipeline updates, which FerretDB lacks.
 * - `<rule>:<client>:<window start>`: a client's window, `count`.
 * - `login-account:<address>`: an account's failures, its wrong codes in `codes`, and its device tokens in `devices`, by the SHA-256 of each:
 *   the database never holds a usable token, and a token is genuine exactly when its hash is found there, without
 *   any server secret to keep. One read gives a login everything its throttling decides on.
 * `expiresAt` is when the document stops mattering; the TTL index deletes it then.
 */
const throttleSchema = new Schema(
  {
    _id: { type: String, required: true },
    count: Number,
    failures: Number,
    lastFailureAt: Date,
    codes: Schema.Types.Mixed,
    devices: Schema.Types.Mixed,
    expiresAt: { type: Date, required: true },
  },
  { collection: "throttles", versionKey: false },
);

/** The `_id` of an account's document: its failures and device tokens. */
export const accountKey = (email: string) => `login-account:${email}`;

export const throttlesCollection = (db: Connection) => db.model("Throttle", throttleSchema);
export type ThrottlesCollection = ReturnType<typeof throttlesCollection>;

/**
 * Creates the TTL index on `expiresAt`. FerretDB 1.24, which dev and tests run, has no TTL indexes: there expired
 * documents stay (a warning says so), which changes no answer, since every read ignores what has expired.
 * Once per database, it moves the device tokens of the first layout (a `device_tokens` collection) into their
 * accounts' documents. Idempotent.
 */
export async function prepareThrottlingCollections(db: Connection, log: MigrationLog): Promise<void> {
  if (!(await ensureTtlIndex(db, "throttles", "expiresAt")))
    log.warn({ collection: "throttles" }, "this database has no TTL indexes: expired documents are not deleted");
  await recordMigration(db, "throttling.device-tokens-in-accounts", log, async () => {
    const throttles = db.collection<{ _id: string }>("throttles");
    let moved = 0;
    for await (const { _id, email, failures, lastFailureAt, createdAt, expiresAt } of db
      .collection("device_tokens")
      .find()) {
      await throttles.updateOne(
        { _id: accountKey(email) },
        {
          $set: {
            [`devices.${_id}`]: {
              failures: failures ?? 0,
              lastFailureAt,
              createdAt: createdAt ?? new Date(0),
              expiresAt,
            },
          },
          $setOnInsert: { failures: 0 },
          $max: { expiresAt },
        },
        { upsert: true },
      );
      moved++;
    }
    await db.collection("device_tokens").drop();
    return { moved };
  });
}
