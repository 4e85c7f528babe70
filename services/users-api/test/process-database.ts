import mongoose, { type Connection } from "mongoose";
import { mongodbOptions } from "../src/mongodb.ts";
import { mongodbUri } from "./database.ts";

/**
 * A database of its own for a users-api process: the URI to give it (on the server `base` names, the test run's
 * by default), and a connection of the test's to look at what the service stored. `drop()` deletes it.
 */
export async function processDatabase(label: string, base = mongodbUri()) {
  const url = new URL(base);
  url.pathname = `/${label}_${crypto.randomUUID().slice(0, 8)}`;
  const db: Connection = await mongoose.createConnection(url.toString(), mongodbOptions).asPromise();
  return {
    uri: url.toString(),
    db,
    async drop() {
      await db.dropDatabase();
      await db.close();
    },
  };
}
