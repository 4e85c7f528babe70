import { serviceUnavailable } from "@accounts/shared";
import { mongo, type ConnectOptions } from "mongoose";

export const mongodbOptions: ConnectOptions = {
  // prepareUsersCollection creates the collection and its one index, after migrating seed-era documents.
  autoIndex: false,
  autoCreate: false,
  // Fail rather than queue while MongoDB is unreachable: the client gets a 503 within a few seconds.
  bufferCommands: false,
  serverSelectionTimeoutMS: 3_000,
};

/** Errors meaning MongoDB could not be reached, as opposed to MongoDB refusing the operation. */
export const isDatabaseUnavailable = (error: unknown) =>
  error instanceof mongo.MongoNetworkError ||
  error instanceof mongo.MongoServerSelectionError ||
  error instanceof mongo.MongoNotConnectedError ||
  error instanceof mongo.MongoTopologyClosedError;

/** MongoDB's E11000: a unique index refused the write. */
export const isDuplicateKey = (error: unknown) =>
  typeof error === "object" && error !== null && "code" in error && error.code === 11000;

/** Runs a MongoDB operation, turning "could not reach MongoDB" into a 503 for the client. */
export async function stored<T>(operation: PromiseLike<T>): Promise<T> {
  try {
    return await operation;
  } catch (error) {
    if (isDatabaseUnavailable(error)) throw serviceUnavailable("The database is unavailable; try again shortly", 1);
    throw error;
  }
}
