// The dev database's WHERE clauses (tools/ferretdb's patch): every result is the same with them as with the handler
// filtering the whole collection itself (a second server started with `pushdown: false`), over the values that could
// trip them (arrays, nested documents, missing fields, null, numbers of each type, ObjectIds and their hex strings,
// strings JSON escapes, string ranges around all of them), and the look-ups users-api makes on request paths are
// searches of an index in SQLite's plan.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { BSON, Double, Int32, Long, MongoClient, ObjectId, type Db, type Document, type Filter } from "mongodb";
import { startFerretDB, type LocalDatabase } from "./ferretdb.ts";

const { EJSON } = BSON;
/** Any document: an `_id` of any type (ObjectIds and strings here). */
interface Stored extends Document {
  _id?: ObjectId | string;
}
const servers: LocalDatabase[] = [];
const clients: MongoClient[] = [];
let pushed: Db;
let filtered: Db;

beforeAll(async () => {
  servers.push(await startFerretDB(), await startFerretDB({ pushdown: false }));
  for (const { uri } of servers) clients.push(await MongoClient.connect(uri));
  [pushed, filtered] = clients.map((client) => client.db("pushdown")) as [Db, Db];
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await Promise.all(servers.map((server) => server.stop()));
});

const oid = (n: number) => new ObjectId(n.toString(16).padStart(24, "0"));
const [u1, u2, u3] = [oid(0xa1), oid(0xa2), oid(0xa3)];
const escaped = 'odd <&> "quoted" \\ \u2028 \u0001 é 😀';

const documents: Document[] = [
  { _id: oid(1), email: "a@example.com", userId: u1, tags: ["x", "y"], n: 1, owner: "o1" },
  { _id: oid(2), email: "b@example.com", userId: u1, tags: "x", n: new Double(1) },
  {
    _id: oid(3),
    email: ["c@example.com", "d@example.com"],
    userId: [u2, u3],
    tags: [{ x: "x" }, "z"],
    n: Long.fromNumber(1),
  },
  { _id: "s1", email: { nested: "a@example.com" }, userId: u2.toHexString(), n: new Int32(2) },
  { _id: "s2", userId: u2, tags: [] },
  { _id: "s3", email: null, userId: null, tags: null },
  { _id: "s4", email: escaped, userId: u3, tags: { x: "x" } },
  { _id: "s5", email: "A@example.com", userId: { nested: u1 }, tags: ["y"], owner: ["o1", "o2"] },
  { _id: oid(4), email: 5, userId: [{ nested: u1 }], owner: "o2" },
  { _id: "s6", email: ["a@example.com"], nested: { key: "x" } },
  { _id: "s7", email: "e@example.com", userId: [u1], n: 1.5, owner: { o1: 1 } },
  // FerretDB's _id_ index holds an ObjectId and its hex string as one key: this _id is no other's hex.
  { _id: u1.toHexString(), email: oid(1), userId: u1.toHexString() },
  // Strings that sort around a range's bounds: below the closing quote (space, "!"), escaped in JSON, beyond ASCII.
  { _id: "r1", email: "" },
  { _id: "r2", email: " " },
  { _id: "r3", email: "a", owner: "o3" },
  { _id: "r4", email: "a b" },
  { _id: "r5", email: "a!" },
  { _id: "r6", email: "ab", n: 1 },
  { _id: "r7", email: 'a"b' },
  { _id: "r8", email: "a\\b" },
  { _id: "r9", email: "a<b", n: 1 },
  { _id: "r10", email: "\u2028x" },
  { _id: "r11", email: "\u0001" },
  { _id: "r12", email: "é@x" },
  { _id: "r13", email: "😀" },
  { _id: "r14", email: "zz", owner: "o3" },
  { _id: "r15", email: ["b", "\u2029", "ä"], owner: ["o0", "o4"], tags: ["w", "x\u0001"] },
  { _id: "r16", email: "a\u2028" },
  { _id: "r17", email: "0" },
  { _id: "r18", email: true },
  { _id: "r19", email: 2.5 },
  { _id: "r20", email: new Date(0) },
  { _id: "r21", email: "A", tags: "x y" },
];

// Each filter, and whether the patched backend pushes it down (checked, so that this test keeps covering pushdown).
const filters: [Filter<Stored>, boolean][] = [
  [{ _id: oid(1) }, true],
  [{ _id: "s1" }, true],
  [{ _id: oid(1).toHexString() }, true],
  [{ _id: u1 }, true],
  [{ _id: u1.toHexString() }, true],
  [{ _id: { $in: ["s1", "s4", oid(2), "none"] } }, true],
  [{ _id: oid(3), tags: "x" }, true],
  [{ _id: "s1", userId: u2.toHexString() }, true],
  [{ _id: "s7", userId: u1 }, true],
  [{ email: "a@example.com" }, true],
  [{ email: "c@example.com" }, true],
  [{ email: escaped }, true],
  [{ email: "A@example.com" }, true],
  [{ email: "nobody@example.com" }, true],
  [{ email: oid(1) }, true],
  [{ email: oid(1).toHexString() }, true],
  [{ email: { $in: ["a@example.com", "d@example.com", escaped] } }, true],
  [{ userId: u1 }, true],
  [{ userId: u2 }, true],
  [{ userId: u2.toHexString() }, true],
  [{ userId: u3, email: escaped }, true],
  [{ userId: { $in: [u1, u3] } }, true],
  [{ userId: u1, $or: [{ n: 1 }, { tags: "y" }] }, true],
  [{ userId: u1, _id: { $ne: oid(1) } }, true],
  [{ tags: "x" }, true],
  [{ tags: "y" }, true],
  [{ owner: "o1" }, true],
  [{ owner: "o2" }, true],
  // String ranges on an indexed field: pushed down as ranges of its index; strings only, and arrays.
  [{ email: { $gte: "a", $lt: "b" } }, true],
  [{ email: { $gte: "a@", $lt: "a@\uffff" } }, true],
  [{ email: { $gt: "a" } }, true],
  [{ email: { $gte: "a" } }, true],
  [{ email: { $lt: "b" } }, true],
  [{ email: { $lte: "b@example.com" } }, true],
  [{ email: { $lt: "B" } }, true],
  [{ email: { $lt: "ab" } }, true],
  [{ email: { $lte: "a" } }, true],
  [{ email: { $gte: "a b", $lt: "a c" } }, true],
  [{ email: { $gt: "a", $lt: "a#" } }, true],
  [{ email: { $gte: "", $lt: "" } }, true],
  [{ email: { $gt: "" } }, true],
  [{ email: { $gte: "" } }, true],
  [{ email: { $lte: "" } }, true],
  [{ email: { $lt: " " } }, true],
  [{ email: { $gte: "c", $lt: "e" } }, true],
  [{ email: { $gt: "d", $lt: "c@example.coz" } }, true],
  [{ email: { $gte: escaped } }, true],
  [{ email: { $gt: "odd", $lte: escaped } }, true],
  [{ email: { $lt: "odd <" } }, true],
  [{ email: { $gte: 'a"', $lt: "a\\c" } }, true],
  [{ email: { $gte: "a<" } }, true],
  [{ email: { $gte: "\u2028" } }, true],
  [{ email: { $lt: "\u0002" } }, true],
  [{ email: { $gte: "a\u2028" } }, true],
  [{ email: { $gte: "é", $lt: "😀" } }, true],
  [{ email: { $gt: "z" } }, true],
  [{ email: { $gte: "ä" } }, true],
  [{ email: { $gte: "0", $lt: "1" } }, true],
  [{ email: { $gte: "a", $lt: "c", $gt: "a@example.com" } }, true],
  [{ email: { $gt: "a", $gte: "b", $lte: "e@example.com", $lt: "z" } }, true],
  [{ email: { $gte: "b", $lt: "a" } }, true],
  [{ email: { $gte: "a", $lt: "f" }, n: 1 }, true],
  [{ email: { $gte: "a", $lt: "f" }, owner: { $in: ["o1", "o3"] } }, true],
  [{ email: { $gte: "a" }, userId: u1 }, true],
  [{ email: { $gte: "a", $lt: "f" }, tags: { $exists: true } }, true],
  [{ _id: { $gte: "s", $lt: "t" } }, true],
  [{ _id: { $gt: "r1", $lte: "r2" } }, true],
  [{ _id: { $gte: "", $lt: "" } }, true],
  [{ _id: { $lt: "1" } }, true],
  [{ tags: { $gte: "x", $lte: "y" } }, true],
  [{ tags: { $gt: "x" } }, true],
  [{ owner: { $gt: "o1" } }, true],
  [{ owner: { $lt: "o2" }, n: 1 }, true],
  [{ email: { $gte: "a", $lt: 5 } }, false],
  [{ email: { $gt: null } }, false],
  [{ email: { $gte: "a", $ne: "b" } }, false],
  [{ n: { $gt: "a" } }, false],
  [{ "nested.key": { $gte: "x" } }, false],
  [{ n: 1 }, false],
  [{ n: Long.fromNumber(1) }, false],
  [{ n: new Double(1) }, false],
  [{ "nested.key": "x" }, false],
  [{ email: null }, false],
  [{ email: { $exists: false } }, false],
  [{ userId: { $ne: u1 } }, false],
  [{ email: { $eq: "a@example.com" } }, false],
  [{ userId: [u1] }, false],
  [{ tags: { x: "x" } }, false],
  [{}, false],
];

async function fill(db: Db, name: string) {
  const collection = db.collection<Stored>(name);
  await collection.createIndex({ email: 1 }, { unique: true, name: "email_1" });
  await collection.createIndex({ userId: 1 }, { name: "userId_1" });
  await collection.createIndex({ tags: 1 }, { name: "tags_1" });
  await collection.createIndex({ owner: 1, n: -1 }, { name: "owner_1_n_-1" });
  await collection.createIndex({ "nested.key": 1 }, { name: "nested.key_1" });
  await collection.insertMany(documents.map((document) => ({ ...document })));
  return collection;
}

/** The documents in a canonical order, every type kept (a Long stays apart from an int or a double). */
const canonical = (found: Document[]) =>
  found.map((document) => EJSON.stringify(document, { relaxed: false })).sort((a, b) => a.localeCompare(b));

describe("results are the same with the patch's WHERE clauses as without", () => {
  beforeAll(async () => {
    for (const db of [pushed, filtered]) await fill(db, "read");
  });

  for (const [filter, pushdown] of filters) {
    const name = EJSON.stringify(filter);
    test(`find and count ${name}`, async () => {
      const [withWhere, withoutWhere] = await Promise.all(
        [pushed, filtered].map((db) => db.collection<Stored>("read").find(filter, { promoteValues: false }).toArray()),
      );
      expect(canonical(withWhere!)).toEqual(canonical(withoutWhere!));
      const counts = await Promise.all(
        [pushed, filtered].map((db) => db.collection<Stored>("read").countDocuments(filter)),
      );
      expect(counts[0]).toBe(counts[1]!);
      expect(counts[0]).toBe(withWhere!.length);
    });

    test(`${name} is ${pushdown ? "" : "not "}pushed down, and not without the WHERE clauses`, async () => {
      const explained = await pushed.command({ explain: { find: "read", filter } });
      expect(explained.filterPushdown).toBe(pushdown);
      // And never on the server it is compared with.
      expect((await filtered.command({ explain: { find: "read", filter } })).filterPushdown).toBe(false);
    });
  }

  test("each update and delete matches the same documents, one filter after another", async () => {
    const [withWhere, withoutWhere] = await Promise.all([fill(pushed, "write"), fill(filtered, "write")]);
    const both = <T>(run: (collection: typeof withWhere) => Promise<T>) =>
      Promise.all([run(withWhere), run(withoutWhere)]);
    // updateOne and deleteOne act on any one match, which need not be the same on both: only where there is one.
    const atMostOne = async (filter: Filter<Stored>) => (await withoutWhere.countDocuments(filter)) <= 1;
    for (const [index, [filter]] of filters.entries()) {
      if (await atMostOne(filter)) {
        const [one, other] = await both((collection) => collection.updateOne(filter, { $inc: { [`hit${index}`]: 1 } }));
        expect([one!.matchedCount, one!.modifiedCount]).toEqual([other!.matchedCount, other!.modifiedCount]);
      }
      const [many, otherMany] = await both((collection) => collection.updateMany(filter, { $set: { seen: index } }));
      expect([many!.matchedCount, many!.modifiedCount]).toEqual([otherMany!.matchedCount, otherMany!.modifiedCount]);
      const [found, otherFound] = await both((collection) =>
        collection.findOneAndUpdate(filter, { $set: { claimed: index } }, { sort: { _id: 1 } }),
      );
      expect(canonical(found ? [found] : [])).toEqual(canonical(otherFound ? [otherFound] : []));
    }
    const [after, otherAfter] = await both((collection) => collection.find({}, { promoteValues: false }).toArray());
    expect(canonical(after!)).toEqual(canonical(otherAfter!));

    for (const [filter] of filters) {
      if (!(await atMostOne(filter))) continue;
      const [deleted, otherDeleted] = await both((collection) => collection.deleteOne(filter));
      expect(deleted!.deletedCount).toBe(otherDeleted!.deletedCount);
    }
    const [left, otherLeft] = await both((collection) => collection.find({}, { promoteValues: false }).toArray());
    expect(canonical(left!)).toEqual(canonical(otherLeft!));
    for (const [filter] of filters.toReversed()) {
      const [deleted, otherDeleted] = await both((collection) => collection.deleteMany(filter));
      expect(deleted!.deletedCount).toBe(otherDeleted!.deletedCount);
    }
  });
});

describe("users-api's request-path look-ups are searches of an index", () => {
  // The filters of users-api's queries, on collections indexed as users-api indexes them.
  const lookups: [string, string, Filter<Stored>][] = [
    ["login: the user by email", "users", { email: "someone@example.com" }],
    ["the user by id", "users", { _id: u1 }],
    ["every bearer request: the user and its session", "users", { _id: u1, sessionIds: crypto.randomUUID() }],
    [
      "POST /refresh: the rotation's conditional update",
      "sessions",
      { _id: "hash", userId: u1, refreshHash: "A".repeat(43), absoluteExpiresAt: { $gt: new Date() } },
    ],
    [
      "GET /sessions: the user's sessions",
      "sessions",
      { userId: u1, absoluteExpiresAt: { $gt: new Date() }, idleExpiresAt: { $gt: new Date() } },
    ],
    ["throttle counters", "throttles", { _id: { $in: ["a", "b"] } }],
    ["an admin's prefix search on email", "users", { email: { $gte: "users-1", $lt: "users-2" } }],
    ["its next page", "users", { email: { $gte: "users-1", $lt: "users-2", $gt: "users-15@example.com" } }],
    ["a device token", "device_tokens", { _id: "hash" }],
    ["the user's other device tokens", "device_tokens", { userId: u1, _id: { $ne: "hash" } }],
  ];

  beforeAll(async () => {
    await pushed.collection<Stored>("users").createIndex({ email: 1 }, { unique: true, name: "email_1" });
    await pushed.collection<Stored>("sessions").createIndex({ userId: 1 }, { name: "userId_1" });
    await pushed.collection<Stored>("device_tokens").createIndex({ userId: 1 }, { name: "userId_1" });
    await pushed.collection<Stored>("throttles").insertOne({ _id: "a", count: 1 });
    // A few documents each, so the planner has a table to choose a plan for; an array at an indexed field too.
    for (const name of ["users", "sessions", "device_tokens"])
      await pushed.collection<Stored>(name).insertMany(
        Array.from({ length: 20 }, (_, i) => ({
          email: `${name}-${i}@example.com`,
          userId: i === 0 ? [u2, u3] : oid(i),
          sessionIds: [crypto.randomUUID()],
        })),
      );
  });

  for (const [name, collection, filter] of lookups)
    test(name, async () => {
      const explained = await pushed.command({ explain: { find: collection, filter } });
      const plan = (explained.queryPlanner as { Plan: string[] }).Plan.join("\n");
      expect(plan).toMatch(/SEARCH \S+ USING INDEX /);
      expect(plan).not.toMatch(/detail=SCAN /);
    });

  test("the check does fail: a look-up by an unindexed field reads the whole collection", async () => {
    const explained = await pushed.command({ explain: { find: "users", filter: { sessionIds: "x" } } });
    expect((explained.queryPlanner as { Plan: string[] }).Plan.join("\n")).toMatch(/detail=SCAN /);
  });
});
