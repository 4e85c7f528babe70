import mongoose, { type Connection } from "mongoose";
import { mongodbOptions } from "../src/mongodb.ts";

export function mongodbUri(): string {
  const uri = process.env.MONGODB_URI;
  if (!uri) throw new Error("MONGODB_URI is not set: run `bun run test`, or `bun run db` and export the URI it prints");
  return uri;
}

/** A connection to a database of its own, so suites running in one process do not collide. */
export async function connectTestDatabase(label: string): Promise<Connection> {
  const dbName = `${label}_${crypto.randomUUID().slice(0, 8)}`;
  return mongoose.createConnection(mongodbUri(), { ...mongodbOptions, dbName }).asPromise();
}

export async function dropTestDatabase(db: Connection): Promise<void> {
  await db.dropDatabase();
  await db.close();
}
