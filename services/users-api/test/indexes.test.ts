// Every query on a request path is served by an index: explain() on a real MongoDB, so a missing index fails CI
// (its mongo:7 job) instead of slowing production as the user base grows. On the dev database (FerretDB 1.24 with
// tools/ferretdb's patch) each is served by an index too, which its explain shows as SQLite's query plan.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Types, type Connection } from "mongoose";
import { auditEventsCollectionName } from "../src/audit/collection.ts";
import { emailChangeTokensCollectionName } from "../src/email-change/collection.ts";
import { verificationTokensCollectionName } from "../src/email-verification/collection.ts";
import { resetTokensCollectionName } from "../src/password-reset/collection.ts";
import { callerQuery, rotationQuery } from "../src/sessions/queries.ts";
import { userFilters } from "../src/users/collection.ts";
import { challengeFilter, parseMfaToken } from "../src/mfa/challenge.ts";
import { connectTestDatabase, dropTestDatabase, isFerretDB } from "./database.ts";
import { captureLogger } from "@accounts/shared/testing";
import { prepareDatabase } from "../src/prepare.ts";

interface RequestPathQuery {
  name: string;
  collection: string;
  filter: Record<string, unknown>;
  /** Checked on MongoDB only: the patched FerretDB pushes equality down to SQLite, not ranges, so there it scans. */
  rangeOnly?: true;
}

const someUser = String(new Types.ObjectId());
const someSession = crypto.randomUUID();
const someRefreshToken = `${someUser}.${someSession}.0.${"A".repeat(43)}`;

// Each filter comes from the builder the service itself queries with, where the service has one; the throttle
// counters and the one-time tokens are looked up by `_id`, as their services do.
const requestPathQueries: RequestPathQuery[] = [
  { name: "login: the user by email", collection: "users", filter: userFilters.byEmail("someone@example.com") },
  {
    name: "the user by id (GET /sessions, logout, DELETE /user, a refresh's fallback read)",
    collection: "users",
    filter: userFilters.byId(new Types.ObjectId()),
  },
  {
    name: "GET /admin/users: addresses by prefix, past the previous page's last",
    collection: "users",
    filter: userFilters.byEmailPrefix("indexed-1", "indexed-1@example.com"),
    rangeOnly: true,
  },
  {
    name: "every bearer request: the user and its session in one read",
    collection: "users",
    filter: callerQuery({ userId: someUser, sessionId: someSession }).filter,
  },
  {
    name: "POST /refresh: the rotation's conditional update",
    collection: "users",
    filter: rotationQuery(someRefreshToken, Date.now(), 60).filter,
  },
  {
    name: "a login's second step: the user while it has the mfaToken's challenge",
    collection: "users",
    filter: challengeFilter(parseMfaToken(`${someUser}.${someSession}.${"A".repeat(43)}`)!),
  },
  {
    name: "a login's throttling: the client's window and the account's count, with its device tokens",
    collection: "throttles",
    filter: { _id: { $in: ["a", "b"] } },
  },
  {
    name: "a reset voids the user's older links",
    collection: resetTokensCollectionName,
    filter: { userId: new Types.ObjectId() },
  },
  {
    name: "an email change voids the user's older links",
    collection: emailChangeTokensCollectionName,
    filter: { userId: new Types.ObjectId(), purpose: "confirm" },
  },
  {
    name: "email change tokens",
    collection: emailChangeTokensCollectionName,
    filter: { _id: "hash", purpose: "confirm", expiresAt: { $gt: new Date() } },
  },
  {
    name: "verification tokens",
    collection: verificationTokensCollectionName,
    filter: { _id: "hash", expiresAt: { $gt: new Date() } },
  },
  {
    name: "GET /user/security-events: the user's events, newest first",
    collection: auditEventsCollectionName,
    filter: { userId: new Types.ObjectId() },
  },
  {
    name: "the audit trail by type (GET /admin/audit)",
    collection: auditEventsCollectionName,
    filter: { type: "login.failed" },
  },
  {
    name: "reset tokens",
    collection: resetTokensCollectionName,
    filter: { _id: "hash", expiresAt: { $gt: new Date() } },
  },
];

const db: Connection = await connectTestDatabase("indexes");
const ferretDB = await isFerretDB(db);
if (ferretDB)
  console.warn("skipping MongoDB's index checks on FerretDB (CI runs them on mongo:7); checking SQLite's plans");

beforeAll(async () => {
  const { logger } = captureLogger();
  await prepareDatabase(db, logger);
  // A few documents, so the planner has a collection to choose a plan for.
  await db.collection("users").insertMany(
    Array.from({ length: 20 }, (_, i) => ({
      email: `indexed-${i}@example.com`,
      password: "x",
      createdAt: new Date(),
    })),
  );
  // The other collections exist, as users-api's start makes them, so each query has a plan to explain.
  for (const { collection } of requestPathQueries)
    if (collection !== "users") await db.collection(collection).insertOne({});
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

  test("the prefix search's index bounds come from the prefix: up to its successor, not the whole index", async () => {
    const explained = await db
      .collection("users")
      .find(userFilters.byEmailPrefix("indexed-1"))
      .sort({ email: 1 })
      .limit(21)
      .explain("queryPlanner");
    const plan = JSON.stringify((explained as { queryPlanner: { winningPlan: unknown } }).queryPlanner.winningPlan);
    expect(plan).toContain("IXSCAN");
    expect(plan).toContain("indexed-2");
    expect(plan).not.toContain("SORT");
  });

  test("the check does fail: a query on an unindexed field is a COLLSCAN", async () => {
    expect(await winningStages({ collection: "users", filter: { createdAt: new Date() } })).toContain("COLLSCAN");
  });
});

/** SQLite's plan for `filter`, as the patched FerretDB's explain gives it. */
async function sqlitePlan({ collection, filter }: Pick<RequestPathQuery, "collection" | "filter">) {
  const explained = await db.db!.command({ explain: { find: collection, filter } });
  return (explained as { queryPlanner: { Plan: string[] } }).queryPlanner.Plan.join("\n");
}

describe.skipIf(!ferretDB)("on the dev database, request-path queries search an index", () => {
  for (const query of requestPathQueries.filter(({ rangeOnly }) => !rangeOnly))
    test(query.name, async () => {
      const plan = await sqlitePlan(query);
      expect(plan).toMatch(/SEARCH \S+ USING INDEX /);
      expect(plan).not.toMatch(/detail=SCAN /);
    });

  test("the user by email: its index, email_1", async () => {
    expect(await sqlitePlan(requestPathQueries[0]!)).toMatch(/SEARCH \S+ USING INDEX \S+_email_1 /);
  });

  // An admin's prefix search on the normalized email, and its next page after a cursor: a string range, which the
  // patch pushes down as ranges of the email index (with the array and JSON-escape ranges beside, each a search).
  for (const [name, filter] of [
    ["a prefix search on email", { email: { $gte: "indexed-1", $lt: "indexed-2" } }],
    ["its next page", { email: { $gte: "indexed-1", $lt: "indexed-2", $gt: "indexed-12@example.com" } }],
  ] as const)
    test(`${name}: its index, email_1`, async () => {
      const plan = await sqlitePlan({ collection: "users", filter });
      expect(plan).toMatch(/SEARCH \S+ USING INDEX \S+_email_1 /);
      expect(plan).not.toMatch(/detail=SCAN /);
    });

  test("the check does fail: a look-up by another field reads the whole collection", async () => {
    expect(await sqlitePlan({ collection: "users", filter: { createdAt: new Date() } })).toMatch(/SCAN /);
  });
});
