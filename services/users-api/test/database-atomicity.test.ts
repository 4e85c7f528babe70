// One document is updated atomically, on MongoDB and on the dev database (FerretDB 1.24 as patched by
// tools/ferretdb/github.com+FerretDB+FerretDB.patch; as shipped, 50 concurrent $inc added 9 and 14 of 20 exclusive
// conditional updates matched): what users-api's throttling, refresh rotation and single-use links rely on.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Connection } from "mongoose";
import { connectTestDatabase, dropTestDatabase } from "./database.ts";

let db: Connection;
const collection = () => db.db!.collection<{ _id: string; n?: number; owner?: string }>("counters");

beforeAll(async () => {
  db = await connectTestDatabase("atomicity");
});
afterAll(() => dropTestDatabase(db));

const times = <T>(count: number, run: () => Promise<T>) => Promise.all(Array.from({ length: count }, run));

test("50 concurrent $inc on one document add 50", async () => {
  await collection().insertOne({ _id: "inc", n: 0 });
  await times(50, () => collection().updateOne({ _id: "inc" }, { $inc: { n: 1 } }));
  expect((await collection().findOne({ _id: "inc" }))?.n).toBe(50);
});

test("of 20 concurrent conditional updates that only one can satisfy, exactly one matches", async () => {
  await collection().insertOne({ _id: "cas", n: 0 });
  const results = await times(20, () => collection().updateOne({ _id: "cas", n: 0 }, { $set: { n: 1 } }));
  expect(results.map(({ matchedCount }) => matchedCount).sort()).toEqual([...Array(19).fill(0), 1]);
});

test("of 20 concurrent findOneAndUpdate claims, exactly one gets the document", async () => {
  await collection().insertOne({ _id: "claim" });
  const results = await times(20, () =>
    collection().findOneAndUpdate({ _id: "claim", owner: { $exists: false } }, { $set: { owner: "me" } }),
  );
  expect(results.filter((found) => found !== null)).toHaveLength(1);
});

test("20 concurrent upserts of one _id make one document counted 20 times", async () => {
  await times(20, () => collection().updateOne({ _id: "upsert" }, { $inc: { n: 1 } }, { upsert: true }));
  expect(await collection().find({ _id: "upsert" }).toArray()).toEqual([{ _id: "upsert", n: 20 }]);
});

test("20 concurrent findOneAndUpdate upserts of one _id make one document, each seeing the count before its own", async () => {
  const results = await times(20, () =>
    collection().findOneAndUpdate(
      { _id: "find-upsert" },
      { $inc: { n: 1 } },
      { upsert: true, returnDocument: "before" },
    ),
  );
  expect(results.map((found) => found?.n ?? 0).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  expect(await collection().find({ _id: "find-upsert" }).toArray()).toEqual([{ _id: "find-upsert", n: 20 }]);
});

test("of 20 concurrent deleteOne of one document, exactly one deletes it", async () => {
  await collection().insertOne({ _id: "delete" });
  const results = await times(20, () => collection().deleteOne({ _id: "delete" }));
  expect(results.map(({ deletedCount }) => deletedCount).sort()).toEqual([...Array(19).fill(0), 1]);
});
