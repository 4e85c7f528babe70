// The growth phase in the report: its type, its target and its Markdown section.
import type { ObservedRun, Target } from "./report.ts";
import { ratio } from "./stats.ts";

interface AtSize {
  /** Documents in the users collection during the runs. */
  documents: number;
  /** Sessions the users' documents held before the runs (each login run adds to them). */
  sessions: number;
  logIn: ObservedRun;
  getUser: ObservedRun;
  /** Each connection following a session chain of its own, from a login of its own. */
  refresh: ObservedRun;
}

export interface GrowthPhase {
  accounts: number;
  /** Sessions seeded per account, in users-api's document shape. */
  sessionsPerAccount: number;
  seedSeconds: number;
  server: string;
  isFerretDB: boolean;
  empty: AtSize;
  grown: AtSize;
}

export const GROWTH_TARGET = 0.9;

const percent = (value: number | undefined) => (value === undefined ? "n/a" : `${(value * 100).toFixed(0)}%`);
const fixed = (value: number | undefined, digits = 1) => (value === undefined ? "n/a" : value.toFixed(digits));

const flows = [
  ["POST /login", "logIn"],
  ["GET /user", "getUser"],
  ["POST /refresh", "refresh"],
] as const;

/** Each flow's rate at the grown size over its rate on the empty database. */
export const growthShares = (g: GrowthPhase) =>
  flows.map(([flow, key]) => [flow, ratio(g.grown[key].load.perSecond, g.empty[key].load.perSecond)] as const);

// Measured on FerretDB 1.24 with tools/ferretdb's patch (2026-12-04, median of 20 lookups by email).
const ferretDbIndexes =
  "FerretDB, as tools/ferretdb patches it, serves every request-path query from an index, as MongoDB does (a login's " +
  "lookup by email: 1.3 ms at 1,000 users and 1.0 ms at 100,000; 22 ms and 1.5 s as shipped), so these figures measure " +
  "our code at both sizes. `.github/workflows/bench.yml` runs the same bench against mongo:7, and " +
  "services/users-api/test/indexes.test.ts checks on both that every request-path query searches an index.";

export function growthTarget(g: GrowthPhase): Target {
  const shares = growthShares(g);
  return {
    name: `Login, GET /user and POST /refresh at ${g.accounts} more accounts (${g.sessionsPerAccount} sessions each) within ${percent(1 - GROWTH_TARGET)} of the empty database`,
    measured: `${shares.map(([flow, share]) => `${flow} ${percent(share)}`).join(", ")} of the empty database's rate (${g.server})`,
    met: shares.every(([, share]) => share !== undefined && share >= GROWTH_TARGET),
  };
}

const row = (cells: readonly (string | number)[]) => `| ${cells.join(" | ")} |`;

export function renderGrowthSection(g: GrowthPhase): string {
  const rows = flows.flatMap(([flow, key]) =>
    (["empty", "grown"] as const).map((size) => {
      const { load, cpuMsPerResponse } = g[size][key];
      return row([
        flow,
        load.connections,
        `${g[size].documents} / ${g[size].sessions}`,
        fixed(load.perSecond, key === "logIn" ? 1 : 0),
        percent(ratio(load.perSecond, g.empty[key].load.perSecond)),
        `${fixed(load.served?.p50)} / ${fixed(load.served?.p99)}`,
        `${fixed(cpuMsPerResponse["users-api"], 2)} / ${fixed(cpuMsPerResponse.system, 2)}`,
        percent(load.foreignCpu),
      ]);
    }),
  );
  return `## Growth: ${g.accounts} accounts

Login, GET /user and POST /refresh on the nearly empty database (the bench's login accounts and their sessions, and as
many accounts of the seeded shape to log in to), then after ${g.accounts} accounts with ${g.sessionsPerAccount} sessions each were inserted with insertMany in ${fixed(g.seedSeconds)} s, against ${g.server}:
not through the API; one real argon2id hash at our default cost serves them all; each session in users-api's document
shape, its refresh token stored as a login stores it (SHA-256 only). Both sizes log in to seeded accounts (after
growth, spread over the whole range), since a user's sessions are read with it and the bench's own login accounts have
gathered many; each refresh connection follows a session chain of its own from a login of its own. The seeded accounts
and every session of theirs are deleted afterwards.

${[
  row([
    "flow",
    "connections",
    "documents users / sessions",
    "2xx /s",
    "of empty",
    "p50 / p99 ms",
    "CPU ms users / system",
    "other load",
  ]),
  row(Array(8).fill("---")),
  ...rows,
].join("\n")}
${g.isFerretDB ? `\n${ferretDbIndexes}\n` : ""}`;
}
