import { type Connection, type ConnectOptions, mongo } from "mongoose";
import { databaseTimedOut, databaseUnavailable } from "./problems.ts";

export const mongodbOptions: ConnectOptions = {
  // prepareDatabase (prepare.ts) creates the collections and their indexes, after migrating seed-era documents.
  autoIndex: false,
  autoCreate: false,
  // Fail rather than queue while MongoDB is unreachable: the client gets a 503 within a few seconds.
  bufferCommands: false,
  serverSelectionTimeoutMS: 3_000,
};

/**
 * How long a request waits for one MongoDB operation before it answers 503. Without a deadline a database that
 * has gone slow held each request for as long as it stayed slow (the fault suite measured 12 s under a 12 s
 * delay). The driver's `socketTimeoutMS` does not help under Bun: set to 2 s, it fired after 12 s there too.
 * Our operations are single-document reads and writes by key, far below this when the database is well.
 */
export const DATABASE_OPERATION_TIMEOUT_MS = 3_000;

/** Errors meaning MongoDB could not be reached, as opposed to MongoDB refusing the operation. */
export const isDatabaseUnavailable = (error: unknown) =>
  error instanceof mongo.MongoNetworkError ||
  error instanceof mongo.MongoServerSelectionError ||
  error instanceof mongo.MongoNotConnectedError ||
  error instanceof mongo.MongoTopologyClosedError;

/** MongoDB's E11000: a unique index refused the write. */
export const isDuplicateKey = (error: unknown) =>
  typeof error === "object" && error !== null && "code" in error && error.code === 11000;

/**
 * Runs a MongoDB operation, turning "could not reach MongoDB" and "no answer within DATABASE_OPERATION_TIMEOUT_MS"
 * into a 503 for the client. An operation given up on may still complete (a sign-up's insert, say): the client
 * is told 503, which promises nothing either way (see docs/api.md, "Retrying after a 503").
 */
export async function orUnavailable<T>(operation: PromiseLike<T>): Promise<T> {
  let timer: Timer | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(databaseTimedOut()), DATABASE_OPERATION_TIMEOUT_MS);
  });
  try {
    return await Promise.race([operation, deadline]);
  } catch (error) {
    if (isDatabaseUnavailable(error)) throw databaseUnavailable();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

// MongoDB's NotImplemented: what FerretDB 1.24 (dev and tests) answers for a TTL index, which it lacks.
const NOT_IMPLEMENTED = 238;

/**
 * A TTL index on `field`, so MongoDB deletes each document once that date has passed; false where the database has
 * none (FerretDB 1.24). Expiry never depends on it: every read checks the date itself. Idempotent.
 */
export async function ensureTtlIndex(db: Connection, collection: string, field: string): Promise<boolean> {
  try {
    await db.collection(collection).createIndex({ [field]: 1 }, { expireAfterSeconds: 0, name: `${field}_ttl` });
    return true;
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code === NOT_IMPLEMENTED) return false;
    throw error;
  }
}

interface MigrationLog {
  info(details: object, message: string): void;
}

/**
 * Runs `migrate` once per database: the `migrations` collection records each id applied. Safe from several
 * replicas at once when `migrate` is idempotent (each runs it until one has recorded it).
 */
export async function recordMigration(
  db: Connection,
  id: string,
  log: MigrationLog,
  migrate: () => Promise<object>,
): Promise<void> {
  const migrations = db.collection<{ _id: string; appliedAt: Date }>("migrations");
  if (await migrations.findOne({ _id: id })) return;
  log.info({ migration: id, ...(await migrate()) }, "migration applied");
  // The database's clock dates the record: no decision reads it, so it needs no injected clock. Inserted only: a
  // replica finishing second matches no record without a date, and its insert meets the first one's `_id`.
  await migrations
    .updateOne({ _id: id, appliedAt: { $exists: false } }, { $currentDate: { appliedAt: true } }, { upsert: true })
    .catch((error) => {
      if (!isDuplicateKey(error)) throw error;
    });
}
