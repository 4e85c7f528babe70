import mongoose, { type ConnectOptions, type Connection } from "mongoose";
import { mongodbOptions } from "../src/mongodb.ts";

export function mongodbUri(): string {
  const uri = process.env.MONGODB_URI;
  if (!uri) throw new Error("MONGODB_URI is not set: run `bun run test`, or `bun run db` and export the URI it prints");
  return uri;
}

/**
 * A connection to a database of its own, so suites running in one process do not collide; `options` beside users-api's
 * own (command monitoring, for a suite that counts what is sent).
 */
export async function connectTestDatabase(label: string, options: ConnectOptions = {}): Promise<Connection> {
  const dbName = `${label}_${crypto.randomUUID().slice(0, 8)}`;
  return mongoose.createConnection(mongodbUri(), { ...mongodbOptions, ...options, dbName }).asPromise();
}

export async function dropTestDatabase(db: Connection): Promise<void> {
  await db.dropDatabase();
  await db.close();
}

/**
 * Whether `db` is FerretDB, which answers buildInfo with its own version beside the MongoDB one it emulates. Tests
 * of what FerretDB 1.24 does not do (indexes serving queries, TTL)
 * run on MongoDB only: CI's mongo:7 job.
 */
export const isFerretDB = async (db: Connection): Promise<boolean> =>
  "ferretdbVersion" in (await db.db!.admin().command({ buildInfo: 1 }));
