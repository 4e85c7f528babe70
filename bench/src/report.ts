import type { LoadResult } from "./load.ts";
import type { Machine } from "./machine.ts";
import type { RssSummary } from "./memory.ts";
import { ratio } from "./stats.ts";

export type Service = "auth-api" | "users-api";
export type RssByService = Record<Service, RssSummary | undefined>;

/** Bun.password hashes (sign-up) or verifies (login) per second on all cores, no HTTP. */
export interface HashLimitRun {
  perSecond: number;
  /** Share of all cores that processes outside the benchmark used meanwhile. */
  foreignCpu: number;
}

/** A sign-up or login run between two measurements of its hashing limit, in the same conditions. */
export interface HashingRun {
  limitBefore: HashLimitRun;
  limitAfter: HashLimitRun;
  load: LoadResult;
  rss: RssByService;
}

/** The limit a run is held against: the mean of the measurements around it. */
export const limitOf = (run: HashingRun) => (run.limitBefore.perSecond + run.limitAfter.perSecond) / 2;

/** Everything one `bun run bench` measured. */
export interface Measurements {
  startedAt: string;
  machine: Machine;
  settings: {
    secondsPerRun: number;
    hashMemoryKiB: number;
    hashTimeCost: number;
    hashConcurrency: number;
    hashQueueLimit: number;
    logLevel: string;
    database: string;
  };
  signUp: HashingRun[];
  logIn: HashingRun[];
  getUser: LoadResult[];
  health: LoadResult[];
  /** A login flood far above hashing capacity (concurrency + queue). */
  overload: {
    load: LoadResult;
    rss: RssByService;
    /** Highest in-flight and queued hash counts auth-api's /metrics showed during the flood. */
    maxHashesInFlight: number;
    maxHashesQueued: number;
  };
}

export interface Target {
  name: string;
  measured: string;
  met: boolean;
}

/** The issue's targets. */
export const TARGETS = { hashingShare: 0.9, userShareOfHealth: 0.5, overloadRssGrowth: 0.1 } as const;

const percent = (value: number | undefined) => (value === undefined ? "n/a" : `${(value * 100).toFixed(0)}%`);
const fixed = (value: number | undefined, digits = 1) => (value === undefined ? "n/a" : value.toFixed(digits));

/** The run with the highest share of its adjacent hashing limit. */
export function bestHashingRun(runs: readonly HashingRun[]) {
  let best: { run: HashingRun; share: number } | undefined;
  for (const run of runs) {
    const share = ratio(run.load.perSecond, limitOf(run));
    if (share !== undefined && (best === undefined || share > best.share)) best = { run, share };
  }
  return best;
}

const peakPerSecond = (runs: readonly LoadResult[]) => Math.max(0, ...runs.map((run) => run.perSecond));

/** RSS growth over the flood: last quarter's mean against the first quarter's, per service. */
export function rssGrowth(rss: RssSummary | undefined): number | undefined {
  return rss === undefined ? undefined : ratio(rss.lastQuarter - rss.firstQuarter, rss.firstQuarter);
}

/** Share of the flood's responses that were 503. */
export function rejectedShare(load: LoadResult): number | undefined {
  const total = Object.values(load.statuses).reduce((sum, count) => sum + count, 0);
  return ratio(load.statuses["503"] ?? 0, total);
}

/** Each target of the issue, measured against this run. */
export function evaluateTargets(m: Measurements): Target[] {
  const hashing = (name: string, runs: HashingRun[], operation: string): Target => {
    const best = bestHashingRun(runs);
    return {
      name: `${name} ≥ ${percent(TARGETS.hashingShare)} of the ${operation} limit`,
      measured: best
        ? `${percent(best.share)} (${fixed(best.run.load.perSecond)}/s of ${fixed(limitOf(best.run))}/s at ${best.run.load.connections} connections)`
        : "no successful requests",
      met: best !== undefined && best.share >= TARGETS.hashingShare,
    };
  };
  const userShare = ratio(peakPerSecond(m.getUser), peakPerSecond(m.health));
  const growth = (["auth-api", "users-api"] as const).map((service) => [service, rssGrowth(m.overload.rss[service])] as const);
  return [
    hashing("Sign-up", m.signUp, "hash"),
    hashing("Login", m.logIn, "verify"),
    {
      name: `GET /user ≥ ${percent(TARGETS.userShareOfHealth)} of GET /health`,
      measured: `${percent(userShare)} (${fixed(peakPerSecond(m.getUser), 0)}/s of ${fixed(peakPerSecond(m.health), 0)}/s, peak of each)`,
      met: userShare !== undefined && userShare >= TARGETS.userShareOfHealth,
    },
    {
      name: `Memory flat during the login flood (RSS growth < ${percent(TARGETS.overloadRssGrowth)})`,
      measured: growth.map(([service, value]) => `${service} ${value === undefined ? "n/a" : `${value >= 0 ? "+" : ""}${(value * 100).toFixed(1)}%`}`).join(", "),
      met: growth.every(([, value]) => value !== undefined && value < TARGETS.overloadRssGrowth),
    },
  ];
}

const row = (cells: readonly (string | number)[]) => `| ${cells.join(" | ")} |`;
const table = (head: readonly string[], rows: readonly (readonly (string | number)[])[]) =>
  [row(head), row(head.map(() => "---")), ...rows.map(row)].join("\n");
const nonSuccess = (load: LoadResult) =>
  Object.entries(load.statuses)
    .filter(([status]) => !status.startsWith("2"))
    .map(([status, count]) => `${count}×${status}`)
    .concat(load.errors > 0 ? [`${load.errors} errors`] : [])
    .join(", ") || "none";
const mib = (rss: RssSummary | undefined) => (rss ? fixed(rss.peak, 0) : "n/a");

/** The results as Markdown: targets first, then every run. */
export function renderMarkdown(m: Measurements): string {
  const { machine, settings } = m;
  const hashingRows = (flow: string, runs: HashingRun[]) =>
    runs.map((run) => [
      flow,
      run.load.connections,
      `${fixed(run.limitBefore.perSecond)} / ${fixed(run.limitAfter.perSecond)}`,
      fixed(run.load.perSecond),
      percent(ratio(run.load.perSecond, limitOf(run))),
      fixed(run.load.served?.p50, 0),
      fixed(run.load.served?.p99, 0),
      nonSuccess(run.load),
      `${mib(run.rss["auth-api"])} / ${mib(run.rss["users-api"])}`,
      `${percent(run.limitBefore.foreignCpu)} / ${percent(run.load.foreignCpu)} / ${percent(run.limitAfter.foreignCpu)}`,
    ]);
  const healthPeak = peakPerSecond(m.health);
  const fastRows = (flow: string, runs: LoadResult[]) =>
    runs.map((run) => [
      flow,
      run.connections,
      fixed(run.perSecond, 0),
      percent(ratio(run.perSecond, healthPeak)),
      fixed(run.served?.p50),
      fixed(run.served?.p99),
      nonSuccess(run),
      percent(run.foreignCpu),
    ]);
  const { load, rss } = m.overload;
  const rejected = load.statuses["503"] ?? 0;

  return `# Benchmark ${m.startedAt.slice(0, 10)} · ${machine.commit}${machine.dirty ? " (with uncommitted service changes)" : ""}

${machine.cores} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, Bun ${machine.bun}; load average ${machine.loadAverageBefore.toFixed(2)} before the run.
"Other load" is the share of all cores that processes outside the benchmark used during a run (from /proc): where it
is high, the machine was shared and every number is squeezed. ${settings.secondsPerRun} s per run; argon2id
m=${settings.hashMemoryKiB} KiB, t=${settings.hashTimeCost}; ${settings.hashConcurrency} hashes in flight, ${settings.hashQueueLimit} queued;
LOG_LEVEL=${settings.logLevel}; database: ${settings.database}. Started ${m.startedAt}.

## Targets

${table(
  ["target", "measured", "met"],
  evaluateTargets(m).map((target) => [target.name, target.measured, target.met ? "yes" : "**no**"]),
)}

## Sign-up and login against the hashing limit

The limit is \`Bun.password\` on all cores with no HTTP, measured in its own process right before and right after
each run; a run is held against the mean of the two.

${table(
  ["flow", "connections", "limit /s before / after", "2xx /s", "of limit", "p50 ms", "p99 ms", "not 2xx", "peak RSS auth / users MiB", "other load before / during / after"],
  [...hashingRows("POST /signup", m.signUp), ...hashingRows("POST /login", m.logIn)],
)}

## GET /user against GET /health

${table(
  ["route", "connections", "2xx /s", "of /health peak", "p50 ms", "p99 ms", "not 2xx", "other load"],
  [...fastRows("GET /health", m.health), ...fastRows("GET /user", m.getUser)],
)}

## Past capacity: login flood at ${load.connections} connections

${table(
  ["", "value"],
  [
    ["responses", Object.values(load.statuses).reduce((sum, count) => sum + count, 0)],
    ["2xx /s", fixed(load.perSecond)],
    ["503 share", percent(rejectedShare(load))],
    ["503 with Retry-After", `${load.rejected?.withRetryAfter ?? 0} of ${rejected}`],
    ["served (2xx) p50 / p99 ms", `${fixed(load.served?.p50, 0)} / ${fixed(load.served?.p99, 0)}`],
    ["503 p50 / p99 ms", `${fixed(load.rejected?.p50)} / ${fixed(load.rejected?.p99)}`],
    ["other", nonSuccess({ ...load, statuses: Object.fromEntries(Object.entries(load.statuses).filter(([status]) => status !== "503")) })],
    ["other load", percent(load.foreignCpu)],
    ["max hashes in flight / queued (auth-api /metrics)", `${m.overload.maxHashesInFlight} / ${m.overload.maxHashesQueued}`],
    ...(["auth-api", "users-api"] as const).map((service) => [
      `${service} RSS first → last quarter (peak) MiB`,
      rss[service] ? `${fixed(rss[service].firstQuarter, 0)} → ${fixed(rss[service].lastQuarter, 0)} (${fixed(rss[service].peak, 0)})` : "n/a",
    ]),
  ],
)}
`;
}
