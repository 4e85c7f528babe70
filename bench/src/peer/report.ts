// The comparison with the peer in the report: its types, its targets and its Markdown section.
import type { LoadResult } from "../load.ts";
import type { Observed } from "../observe.ts";
import type { HashLimitRun, ObservedRun, Target } from "../report.ts";
import { ratio } from "../stats.ts";

export type PeerRun = Observed<"better-auth">;

/** Our run and the peer's at one connection count, one right after the other. */
export interface FlowPair {
  ours: ObservedRun;
  peer: PeerRun;
}

export interface PeerComparison {
  /** Each system's own password hash alone, no HTTP (hash-limit.ts, peer/hash-limit.ts). */
  hashCost: Record<"ours" | "peer", Record<"hash" | "verify", HashLimitRun>>;
  signUp: FlowPair[];
  signIn: FlowPair[];
  session: FlowPair[];
}

/** What the installed better-auth (1.7.25, @better-auth/utils 0.5.1) hashes with on Bun at its defaults. */
export const PEER_HASH = "scrypt N=16384, r=16, p=1, 64-byte key (32 MiB), node:crypto";

const percent = (value: number | undefined) => (value === undefined ? "n/a" : `${(value * 100).toFixed(0)}%`);
const fixed = (value: number | undefined, digits = 1) => (value === undefined ? "n/a" : value.toFixed(digits));
const times = (value: number | undefined) => (value === undefined ? "n/a" : `${value.toFixed(2)}×`);

/** The pair a hashing flow is judged on: the most connections, where neither system's hashing threads wait. */
const saturatedPair = (pairs: readonly FlowPair[]) =>
  pairs.reduce<FlowPair | undefined>(
    (most, pair) => (most && most.ours.load.connections >= pair.ours.load.connections ? most : pair),
    undefined,
  );

/** How a hashing flow compares once each system's rate is held against its own hash's limit. */
export function hashingVerdict(pair: FlowPair, ourLimit: HashLimitRun, peerLimit: HashLimitRun) {
  const ourShare = ratio(pair.ours.load.perSecond, ourLimit.perSecond);
  const peerShare = ratio(pair.peer.load.perSecond, peerLimit.perSecond);
  const oursFaster = pair.ours.load.perSecond >= pair.peer.load.perSecond;
  // At equal hashing the rates would stand as the shares do: the share of its own limit is what each system
  // makes of its hash, whatever that hash costs.
  const better = ourShare !== undefined && peerShare !== undefined && ourShare >= peerShare;
  const verdict =
    pair.ours.load.perSecond === 0 && pair.peer.load.perSecond === 0
      ? "neither served a request"
      : oursFaster === better
        ? `${better ? "ours" : "the peer"} is faster, and not only by its hash`
        : `${oursFaster ? "ours" : "the peer"} is faster only because its hash is cheaper`;
  return { ourShare, peerShare, better, verdict };
}

const peakPerSecond = (runs: readonly { load: LoadResult }[]) => Math.max(0, ...runs.map((run) => run.load.perSecond));

/** Our rate at least this many times the peer's, for sign-up and login. */
export const PEER_RATE_TARGET = 2;

export function peerTargets(c: PeerComparison): Target[] {
  const hashing = (name: string, pairs: FlowPair[], operation: "hash" | "verify"): Target => {
    const pair = saturatedPair(pairs);
    if (!pair) return { name, measured: "no runs", met: false };
    const { ourShare, peerShare, better, verdict } = hashingVerdict(
      pair,
      c.hashCost.ours[operation],
      c.hashCost.peer[operation],
    );
    return {
      name,
      measured: `${fixed(pair.ours.load.perSecond)}/s vs ${fixed(pair.peer.load.perSecond)}/s at ${pair.ours.load.connections} connections (${times(ratio(pair.ours.load.perSecond, pair.peer.load.perSecond))}); of each one's own ${operation} limit ${percent(ourShare)} vs ${percent(peerShare)}: ${verdict}`,
      met: better && (ratio(pair.ours.load.perSecond, pair.peer.load.perSecond) ?? 0) >= PEER_RATE_TARGET,
    };
  };
  const ourSession = peakPerSecond(c.session.map((pair) => pair.ours));
  const peerSession = peakPerSecond(c.session.map((pair) => pair.peer));
  return [
    hashing(
      `Sign-up ≥ ${PEER_RATE_TARGET}× Better Auth's, and of its own hash limit at least Better Auth's share of its own`,
      c.signUp,
      "hash",
    ),
    hashing(
      `Login ≥ ${PEER_RATE_TARGET}× Better Auth's sign-in, and of its own verify limit at least Better Auth's share of its own`,
      c.signIn,
      "verify",
    ),
    {
      name: "GET /user ≥ Better Auth's get-session",
      measured: `${fixed(ourSession, 0)}/s vs ${fixed(peerSession, 0)}/s, peak of each (${times(ratio(ourSession, peerSession))})`,
      met: ourSession >= peerSession && ourSession > 0,
    },
  ];
}

const row = (cells: readonly (string | number)[]) => `| ${cells.join(" | ")} |`;
const table = (head: readonly string[], rows: readonly (readonly (string | number)[])[]) =>
  [row(head), row(head.map(() => "---")), ...rows.map(row)].join("\n");
const notServed = (load: LoadResult) =>
  Object.entries(load.statuses)
    .filter(([status]) => !status.startsWith("2"))
    .map(([status, count]) => `${count}×${status}`)
    .concat(load.errors > 0 ? [`${load.errors} errors`] : [])
    .join(", ") || "none";
const latencies = (load: LoadResult, digits: number) =>
  `${fixed(load.served?.p50, digits)} / ${fixed(load.served?.p99, digits)}`;

export function renderPeerSection(c: PeerComparison, ourHash: string): string {
  const hashRow = (operation: "hash" | "verify") => {
    const ours = c.hashCost.ours[operation];
    const peer = c.hashCost.peer[operation];
    return [
      operation,
      fixed(ours.perSecond),
      fixed(ours.cpuMsPerOperation),
      fixed(peer.perSecond),
      fixed(peer.cpuMsPerOperation),
      times(ratio(ours.perSecond, peer.perSecond)),
      `${percent(ours.foreignCpu)} / ${percent(peer.foreignCpu)}`,
    ];
  };
  const flowRows = (flow: string, pairs: FlowPair[], digits: number) =>
    pairs.map(({ ours, peer }) => [
      flow,
      ours.load.connections,
      fixed(ours.load.perSecond, digits),
      fixed(peer.load.perSecond, digits),
      times(ratio(ours.load.perSecond, peer.load.perSecond)),
      latencies(ours.load, digits),
      latencies(peer.load, digits),
      `${fixed(ours.cpuMsPerResponse.system, 2)} / ${fixed(peer.cpuMsPerResponse.system, 2)}`,
      `${fixed((ours.rss["auth-api"]?.peak ?? 0) + (ours.rss["users-api"]?.peak ?? 0), 0)} / ${fixed(peer.rss["better-auth"]?.peak, 0)}`,
      `${notServed(ours.load)} / ${notServed(peer.load)}`,
      `${percent(ours.load.foreignCpu)} / ${percent(peer.load.foreignCpu)}`,
    ]);
  const hashingRows = (flow: string, pairs: FlowPair[], operation: "hash" | "verify") =>
    pairs.map((pair) => {
      const { ourShare, peerShare, verdict } = hashingVerdict(
        pair,
        c.hashCost.ours[operation],
        c.hashCost.peer[operation],
      );
      return [flow, pair.ours.load.connections, percent(ourShare), percent(peerShare), verdict];
    });

  return `## Against Better Auth

Better Auth (the \`better-auth\` package, pinned in bench/package.json) on Bun with its MongoDB adapter, on the same
database server in a database of its own, email and password on, its own defaults otherwise except its rate limiter,
which is off for the comparison (all load comes from one address) and its telemetry (this machine reaches no
outside host). Ours hashes with ${ourHash}; Better Auth with ${PEER_HASH}. Runs alternate: at each connection count
one system and then the other, the order swapped at the next, same durations and load generator. Better Auth's
sign-up also signs the user in (a session document, its default); ours returns the user. Refresh: Better Auth has
no refresh endpoint (get-session extends a session once a day as a side effect), so there is no counterpart to
compare.

### Each hash alone

One operation per core in flight, no HTTP, in its own process, before the runs.

${table(
  ["operation", "ours /s", "ours CPU ms", "Better Auth /s", "Better Auth CPU ms", "ours / Better Auth", "other load"],
  [hashRow("hash"), hashRow("verify")],
)}

### Flows

CPU ms is the whole system's per response (services or peer, and the database); peak RSS sums our two services.

${table(
  [
    "flow (ours / Better Auth)",
    "connections",
    "ours 2xx /s",
    "Better Auth 2xx /s",
    "ours / Better Auth",
    "ours p50 / p99 ms",
    "Better Auth p50 / p99 ms",
    "CPU ms ours / Better Auth",
    "peak RSS MiB ours / Better Auth",
    "not 2xx ours / Better Auth",
    "other load",
  ],
  [
    ...flowRows("sign-up", c.signUp, 1),
    ...flowRows("login / sign-in", c.signIn, 1),
    ...flowRows("GET /user / get-session", c.session, 0),
  ],
)}

### How much of the difference is the hash

Each hashing run against its own system's hash limit (above): at equal hashing, the rates would compare as these
shares do. A system faster only because it hashes more cheaply is not the better one.

${table(
  ["flow", "connections", "ours, of the argon2id limit", "Better Auth, of the scrypt limit", "verdict"],
  [...hashingRows("sign-up", c.signUp, "hash"), ...hashingRows("login / sign-in", c.signIn, "verify")],
)}
`;
}
