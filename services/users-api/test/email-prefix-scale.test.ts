// An admin's prefix search on the normalized email (a string range, sorted, limited) costs the same at 1,000 and at
// 20,000 users: the unique email index serves it, on MongoDB and on the dev database, where tools/ferretdb's patch
// pushes the range down to SQLite as ranges of that index (without it, every search read every user).
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Connection } from "mongoose";
import { connectTestDatabase, dropTestDatabase } from "./database.ts";
import { captureLogger, expectMediansWithin } from "@accounts/shared/testing";
import { prepareDatabase } from "../src/prepare.ts";

const db: Connection = await connectTestDatabase("email_prefix");
const users = () => db.collection("users");

/** Users up to `count`, in batches: the first ten `match-<i>@example.com`, the others `user-<i>@example.com`. */
async function growTo(from: number, count: number) {
  for (let start = from; start < count; start += 1000) {
    await users().insertMany(
      Array.from({ length: Math.min(1000, count - start) }, (_, j) => ({
        email: `${start + j < 10 ? "match" : "user"}-${start + j}@example.com`,
        password: "x",
        createdAt: new Date(),
      })),
    );
  }
}

/** The search users-api's admin list makes: a prefix as a string range, by email, a page of 10. */
const prefixSearch = (prefix: string) =>
  users()
    .find({ email: { $gte: prefix, $lt: prefix.slice(0, -1) + String.fromCharCode(prefix.at(-1)!.charCodeAt(0) + 1) } })
    .sort({ email: 1 })
    .limit(10)
    .toArray();

async function timeSearches(rounds: number) {
  const samples: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    const found = await prefixSearch("match-");
    samples.push(performance.now() - started);
    expect(found.map(({ email }) => email)).toEqual(
      Array.from({ length: 10 }, (_, i) => `match-${i}@example.com`).sort(),
    );
  }
  return samples;
}

beforeAll(async () => {
  await prepareDatabase(db, captureLogger().logger);
});

afterAll(async () => {
  await dropTestDatabase(db);
});

test("a prefix search on email stays flat from 1,000 to 20,000 users", async () => {
  await growTo(0, 1000);
  await timeSearches(3); // warm up
  const small = await timeSearches(21);
  await growTo(1000, 20_000);
  await timeSearches(3);
  const large = await timeSearches(21);
  expectMediansWithin({ "1,000 users": small, "20,000 users": large }, 3, "email prefix search");
}, 300_000);
