// Fixed inputs for the peer comparison and the growth phase in the report tests: no servers, no timing.
import type { GrowthPhase } from "../src/growth-report.ts";
import type { LoadResult } from "../src/load.ts";
import type { FlowPair, PeerComparison, PeerRun } from "../src/peer/report.ts";
import type { HashLimitRun, ObservedRun } from "../src/report.ts";

export const loadAt = (perSecond: number, connections: number): LoadResult => ({
  connections,
  seconds: 10,
  perSecond,
  statuses: { "200": perSecond * 10 },
  errors: 0,
  served: { p50: 100, p99: 200, max: 250 },
  foreignCpu: 0.1,
});

const rss = (peak: number) => ({ peak, firstHalfPeak: peak, secondHalfPeak: peak, samples: 100 });

export const ourRun = (perSecond: number, connections: number): ObservedRun => ({
  load: loadAt(perSecond, connections),
  rss: { "auth-api": rss(100), "users-api": rss(150) },
  cpuMsPerResponse: { "auth-api": 65, "users-api": 3.5, system: 70 },
});

export const peerRun = (perSecond: number, connections: number): PeerRun => ({
  load: loadAt(perSecond, connections),
  rss: { "better-auth": rss(200) },
  cpuMsPerResponse: { "better-auth": 60, system: 62 },
});

export const pair = (ours: number, peer: number, connections: number): FlowPair => ({
  ours: ourRun(ours, connections),
  peer: peerRun(peer, connections),
});

const limit = (perSecond: number, cpuMsPerOperation: number): HashLimitRun => ({
  perSecond,
  cpuMsPerOperation,
  foreignCpu: 0,
});

/** Ours hashes at 30/s (65 ms), the peer at 16/s (120 ms); ours wins every flow. */
export function peerComparison(overrides: Partial<PeerComparison> = {}): PeerComparison {
  return {
    hashCost: {
      ours: { hash: limit(30, 65), verify: limit(28, 66) },
      peer: { hash: limit(16, 120), verify: limit(16, 121) },
    },
    signUp: [pair(13, 8, 1), pair(28, 14, 18)],
    signIn: [pair(15, 8, 1), pair(26, 14, 18)],
    session: [pair(700, 500, 10), pair(1200, 800, 100)],
    ...overrides,
  };
}

export function growthPhase(overrides: Partial<GrowthPhase> = {}): GrowthPhase {
  return {
    accounts: 1000,
    sessionsPerAccount: 3,
    seedSeconds: 1.5,
    server: "MongoDB 7.0.14",
    isFerretDB: false,
    empty: { documents: 8, sessions: 400, logIn: ourRun(26, 18), getUser: ourRun(1200, 100), refresh: ourRun(600, 10) },
    grown: {
      documents: 1008,
      sessions: 3700,
      logIn: ourRun(25, 18),
      getUser: ourRun(1100, 100),
      refresh: ourRun(570, 10),
    },
    ...overrides,
  };
}
