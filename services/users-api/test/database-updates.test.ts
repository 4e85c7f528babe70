// Update semantics users-api relies on, on MongoDB and on the dev database (FerretDB 1.24 as patched by
// tools/ferretdb/github.com+FerretDB+FerretDB.patch; as shipped, each test fails): a login sends its client window and
// its reservation as one unordered bulk write (throttling/service.ts), a password change replaces the account's
// device tokens with one `$set` of the whole map, a refresh rotates its session with a projected findOneAndUpdate, and
// an email change is one update the unique index on `email` refuses when another account has the address.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Connection } from "mongoose";
import { connectTestDatabase, dropTestDatabase } from "./database.ts";

let db: Connection;
// Each test its own collection: one that reads a whole collection back finds no other test's documents.
const collection = (name: string) => db.db!.collection<{ _id: string; n?: number; map?: object }>(name);

beforeAll(async () => {
  db = await connectTestDatabase("updates");
});
afterAll(() => dropTestDatabase(db));

test("an unordered bulk update reports an upsert's duplicate key by its index and still runs the statements after it", async () => {
  const bulk = collection("bulk_updates");
  await bulk.insertMany([
    { _id: "full", n: 3 },
    { _id: "other", n: 0 },
  ]);
  const error = await bulk
    .bulkWrite(
      [
        { updateOne: { filter: { _id: "full", n: { $lt: 3 } }, update: { $inc: { n: 1 } }, upsert: true } },
        { updateOne: { filter: { _id: "other" }, update: { $inc: { n: 1 } } } },
        { updateOne: { filter: { _id: "new" }, update: { $inc: { n: 1 } }, upsert: true } },
      ],
      { ordered: false },
    )
    .catch((caught) => caught);
  expect(error.writeErrors.map(({ index, code }: { index: number; code: number }) => ({ index, code }))).toEqual([
    { index: 0, code: 11000 },
  ]);
  expect({
    matched: error.result.matchedCount,
    upserted: error.result.upsertedIds,
  }).toEqual({ matched: 1, upserted: { 2: "new" } });
  expect(await bulk.find().sort({ _id: 1 }).toArray()).toEqual([
    { _id: "full", n: 3 },
    { _id: "new", n: 1 },
    { _id: "other", n: 1 },
  ]);
});

test("an update that gives a document another's value of a unique index fails as a duplicate key, changing nothing", async () => {
  const unique = db.db!.collection<{ _id: string; email: string }>("unique_updates");
  await unique.createIndex({ email: 1 }, { unique: true });
  await unique.insertMany([
    { _id: "a", email: "a@example.com" },
    { _id: "b", email: "b@example.com" },
  ]);
  const error = await unique.updateOne({ _id: "a" }, { $set: { email: "b@example.com" } }).catch((caught) => caught);
  expect(error?.code).toBe(11000);
  expect(await unique.find().sort({ _id: 1 }).toArray()).toEqual([
    { _id: "a", email: "a@example.com" },
    { _id: "b", email: "b@example.com" },
  ]);
});

test("$set of a document replaces one that differs only in its field names", async () => {
  const maps = collection("map_updates");
  await maps.insertOne({ _id: "map", map: { x: { n: 0 } } });
  const { modifiedCount } = await maps.updateOne({ _id: "map" }, { $set: { map: { y: { n: 0 } } } });
  expect(modifiedCount).toBe(1);
  expect((await maps.findOne({ _id: "map" }))?.map).toEqual({ y: { n: 0 } });
});

test("findOneAndUpdate answers the document as its projection shapes it", async () => {
  const projected = collection("projected_updates");
  await projected.insertOne({ _id: "projected", n: 1, map: { a: { n: 1, at: 5 }, b: { n: 2 } } });
  const found = await projected.findOneAndUpdate(
    { _id: "projected", "map.a.n": 1 },
    { $set: { "map.a.n": 2 } },
    { projection: { "map.a": 1 }, returnDocument: "after" },
  );
  expect(found).toEqual({ _id: "projected", map: { a: { n: 2, at: 5 } } });
});
