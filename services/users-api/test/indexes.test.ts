// Every query on a request path is served by an index: explain() on a real MongoDB, so a missing index fails CI
// (its mongo:7 job) instead of slowing production as the user base grows. FerretDB, which the suite runs on
// here, serves no query from an index at all, so there the test is skipped with a message.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Types, type Connection } from "mongoose";
import { userFilters } from "../src/users/collection.ts";
import { prepareUsersCollection } from "../src/users/prepare.ts";
import { connectTestDatabase, dropTestDatabase, isFerretDB } from "./database.ts";
import { captureLogger } from "@accounts/shared/testing";

interface RequestPathQuery {
  name: string;
  collection: string;
  filter: Record<string, unknown>;
}

// Each filter comes from the builder the service itself queries with. Add the session check, refresh, the throttle
// counters and the token look-ups here as those collections arrive (sessions and abuse-protection issues).
const requestPathQueries: RequestPathQuery[] = [
  { name: "login: the user by email", collection: "users", filter: userFilters.byEmail("someone@example.com") },
  { name: "GET and DELETE /user: the user by id", collection: "users", filter: userFilters.byId(new Types.ObjectId()) },
];

const db: Connection = await connectTestDatabase("indexes");
const ferretDB = await isFerretDB(db);
if (ferretDB)
  console.warn("skipping the index checks: FerretDB serves no query from an index (CI runs them on mongo:7)");

beforeAll(async () => {
  await prepareUsersCollection(db, captureLogger().logger);
  // A few documents, so the planner has a collection to choose a plan for.
  await db.collection("users").insertMany(
    Array.from({ length: 20 }, (_, i) => ({
      email: `indexed-${i}@example.com`,
      password: "x",
      createdAt: new Date(),
    })),
  );
});

afterAll(async () => {
  await dropTestDatabase(db);
});

/** Every stage of the winning plan, in both of MongoDB's explain shapes (classic, and `queryPlan` under SBE). */
function stagesOf(plan: unknown): string[] {
  if (typeof plan !== "object" || plan === null) return [];
  const own = "stage" in plan && typeof plan.stage === "string" ? [plan.stage] : [];
  return own.concat(Object.values(plan).flatMap(stagesOf));
}

async function winningStages({ collection, filter }: Pick<RequestPathQuery, "collection" | "filter">) {
  const explained = await db.collection(collection).find(filter).limit(1).explain("queryPlanner");
  return stagesOf((explained as { queryPlanner: { winningPlan: unknown } }).queryPlanner.winningPlan);
}

// IDHACK and EXPRESS_* are MongoDB's index look-ups by `_id` and by a unique index, which skip the planner.
const indexStage = /^(IXSCAN|IDHACK|EXPRESS_IXSCAN|EXPRESS_CLUSTERED_IXSCAN)$/;

describe.skipIf(ferretDB)("request-path queries use an index", () => {
  for (const query of requestPathQueries) {
    test(query.name, async () => {
      const stages = await winningStages(query);
      expect(stages).not.toContain("COLLSCAN");
      expect(stages.some((stage) => indexStage.test(stage))).toBe(true);
    });
  }

  test("the check does fail: a query on an unindexed field is a COLLSCAN", async () => {
    expect(await winningStages({ collection: "users", filter: { createdAt: new Date() } })).toContain("COLLSCAN");
  });
});
