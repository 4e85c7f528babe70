import { afterAll, describe, expect, test } from "bun:test";
import type { Connection } from "mongoose";
import { recordMigration } from "../src/mongodb.ts";
import { prepareUsersCollection } from "../src/users/prepare.ts";
import { connectTestDatabase, dropTestDatabase } from "./database.ts";

// The migration runs once per database, so each test prepares a database of its own: one test's run (or its
// documents) would otherwise decide what another's finds.
const databases: Connection[] = [];
async function ownDatabase() {
  const db = await connectTestDatabase("users_prepare");
  databases.push(db);
  return db;
}
afterAll(() => Promise.all(databases.map(dropTestDatabase)));

/** What the migration logs, and the log it writes to. */
function migrationLog() {
  const logged: { details: object; message: string }[] = [];
  const log = {
    info: (details: object, message: string) => logged.push({ details, message }),
    warn: (details: object, message: string) => logged.push({ details, message }),
  };
  return { logged, log };
}

describe("prepareUsersCollection", () => {
  test("normalizes seed-era addresses, keeps the oldest of colliding ones and moves the rest whole", async () => {
    const db = await ownDatabase();
    const { logged, log } = migrationLog();
    const users = db.collection("users");
    // As the seed's Express services wrote them: address as typed, bcrypt hash in `password`.
    const { insertedIds } = await users.insertMany([
      { email: "Ada@Example.com ", password: "$2a$12$first" },
      { email: "grace@example.com", password: "$2a$12$second" },
      { email: " ADA@example.COM", password: "$2a$12$third" },
      { email: "ada@example.com", password: "$2a$12$fourth" },
    ]);

    await prepareUsersCollection(db, log);

    const remaining = await users.find({}).sort({ _id: 1 }).toArray();
    expect(remaining.map(({ email, password }) => ({ email, password }))).toEqual([
      { email: "ada@example.com", password: "$2a$12$first" },
      { email: "grace@example.com", password: "$2a$12$second" },
    ]);
    const moved = await db.collection("users_conflicts").find({}).sort({ _id: 1 }).toArray();
    expect(moved as unknown[]).toEqual([
      { _id: insertedIds[2], email: " ADA@example.COM", password: "$2a$12$third" },
      { _id: insertedIds[3], email: "ada@example.com", password: "$2a$12$fourth" },
    ]);
    const warning = logged.find(({ message }) => message.includes("users_conflicts"));
    expect(warning?.details).toMatchObject({ movedToUsersConflicts: [String(insertedIds[2]), String(insertedIds[3])] });
    expect(JSON.stringify(logged)).not.toContain("$2a$");
  });

  test("builds the unique index, so a second document with an address is refused", async () => {
    const db = await ownDatabase();
    const users = db.collection("users");
    await users.insertOne({ email: "grace@example.com", password: "$2a$12$second" });
    await prepareUsersCollection(db, migrationLog().log);
    await expect(users.insertOne({ email: "grace@example.com", password: "x" })).rejects.toMatchObject({ code: 11000 });
  });

  test("runs once per database and is safe to run again", async () => {
    const db = await ownDatabase();
    const { log } = migrationLog();
    const users = db.collection("users");
    await prepareUsersCollection(db, log);
    await users.insertOne({ email: "Late@Example.com", password: "x" });
    await prepareUsersCollection(db, log);
    expect(await users.countDocuments({ email: "Late@Example.com" })).toBe(1);
  });
});

describe("recordMigration", () => {
  test("a replica that finishes the migration second leaves the first one's record as it was", async () => {
    const db = await ownDatabase();
    const migrations = db.collection<{ _id: string; appliedAt: Date }>("migrations");
    const recordedFirst = { _id: "example.migration", appliedAt: new Date(0) };
    // While this replica migrates, another finishes the same migration and records it.
    await recordMigration(db, recordedFirst._id, migrationLog().log, async () => {
      await migrations.insertOne(recordedFirst);
      return {};
    });
    expect(await migrations.find({}).toArray()).toEqual([recordedFirst]);
  });
});
