import { describe, expect, test } from "bun:test";
import { growthTarget, renderGrowthSection } from "../src/growth-report.ts";
import { hashingVerdict, peerTargets, renderPeerSection } from "../src/peer/report.ts";
import { growthPhase, ourRun, pair, peerComparison } from "./fixtures.ts";

// The comparison's and the growth phase's arithmetic on fixed inputs: no servers, no timing.

describe("against the peer", () => {
  const { hashCost } = peerComparison();

  test("a hashing flow is judged by each system's share of its own hash limit, not by the raw rate", () => {
    // Ours 28/s of 30/s (93%), the peer 14/s of 16/s (88%).
    expect(hashingVerdict(pair(28, 14, 18), hashCost.ours.hash, hashCost.peer.hash)).toEqual({
      ourShare: 28 / 30,
      peerShare: 14 / 16,
      better: true,
      verdict: "ours is faster, and not only by its hash",
    });
    // Faster in rate, but a smaller share of a limit that is higher because its hash is cheaper: not better.
    expect(hashingVerdict(pair(13, 8, 1), hashCost.ours.hash, hashCost.peer.hash)).toMatchObject({
      better: false,
      verdict: "ours is faster only because its hash is cheaper",
    });
    // Slower in rate against a peer whose hash costs a third of ours, with a larger share of its own limit.
    const cheapPeerHash = { perSecond: 90, cpuMsPerOperation: 20, foreignCpu: 0 };
    expect(hashingVerdict(pair(28, 60, 18), hashCost.ours.hash, cheapPeerHash)).toMatchObject({
      better: true,
      verdict: "the peer is faster only because its hash is cheaper",
    });
    expect(hashingVerdict(pair(10, 14, 18), hashCost.ours.hash, hashCost.peer.hash)).toMatchObject({
      better: false,
      verdict: "the peer is faster, and not only by its hash",
    });
    expect(hashingVerdict(pair(0, 0, 1), hashCost.ours.hash, hashCost.peer.hash).verdict).toBe(
      "neither served a request",
    );
  });

  test("targets: the run with the most connections counts for hashing flows, the peaks for the session check", () => {
    const targets = peerTargets(peerComparison());
    expect(targets).toEqual([
      {
        name: "Sign-up ≥ 2× Better Auth's, and of its own hash limit at least Better Auth's share of its own",
        measured:
          "28.0/s vs 14.0/s at 18 connections (2.00×); of each one's own hash limit 93% vs 88%: ours is faster, and not only by its hash",
        met: true,
      },
      {
        name: "Login ≥ 2× Better Auth's sign-in, and of its own verify limit at least Better Auth's share of its own",
        measured:
          "26.0/s vs 14.0/s at 18 connections (1.86×); of each one's own verify limit 93% vs 88%: ours is faster, and not only by its hash",
        met: false,
      },
      { name: "GET /user ≥ Better Auth's get-session", measured: "1200/s vs 800/s, peak of each (1.50×)", met: true },
    ]);
    const met = peerTargets(peerComparison({ signIn: [pair(28, 14, 18)] }));
    expect(met.map((target) => target.met)).toEqual([true, true, true]);
    const missed = peerTargets(
      peerComparison({ signUp: [pair(28, 15, 18)], signIn: [pair(26, 16, 18)], session: [pair(700, 701, 10)] }),
    );
    expect(missed.map((target) => target.met)).toEqual([false, false, false]);
    expect(peerTargets(peerComparison({ signUp: [] }))[0]).toMatchObject({ measured: "no runs", met: false });
  });

  test("the section shows each hash alone, every run of both systems and the verdicts", () => {
    const markdown = renderPeerSection(peerComparison(), "argon2id m=19456 KiB, t=2, p=1 (Bun.password)");
    expect(markdown).toContain("its rate limiter,\nwhich is off for the comparison");
    expect(markdown).toContain("| hash | 30.0 | 65.0 | 16.0 | 120.0 | 1.88× | 0% / 0% |");
    expect(markdown).toContain(
      "| sign-up | 18 | 28.0 | 14.0 | 2.00× | 100.0 / 200.0 | 100.0 / 200.0 | 70.00 / 62.00 | 250 / 200 | none / none | 10% / 10% |",
    );
    expect(markdown).toContain("| GET /user / get-session | 100 | 1200 | 800 | 1.50× |");
    expect(markdown).toContain("| sign-up | 1 | 43% | 50% | ours is faster only because its hash is cheaper |");
  });
});

describe("growth", () => {
  test("within 10% of the empty database for every flow, or missed", () => {
    expect(growthTarget(growthPhase())).toEqual({
      name: "Login, GET /user and POST /refresh at 1000 more accounts (3 sessions each) within 10% of the empty database",
      measured: "POST /login 96%, GET /user 92%, POST /refresh 95% of the empty database's rate (MongoDB 7.0.14)",
      met: true,
    });
    const { grown } = growthPhase();
    expect(growthTarget(growthPhase({ grown: { ...grown, getUser: ourRun(1079, 100) } })).met).toBe(false);
    // 539/s of 600/s is 89.8%.
    expect(growthTarget(growthPhase({ grown: { ...grown, refresh: ourRun(539, 10) } })).met).toBe(false);
  });

  test("the section shows every flow at both sizes with both collections, and the seeded sessions", () => {
    const section = renderGrowthSection(growthPhase());
    expect(section).toContain("| POST /refresh | 10 | 8 / 400 | 600 | 100% |");
    expect(section).toContain("| POST /refresh | 10 | 1008 / 3700 | 570 | 95% |");
    expect(section).toContain("after 1000 accounts with 3 sessions each were inserted");
  });

  test("the section says that FerretDB, as patched, serves the lookups from indexes, and only on FerretDB", () => {
    expect(renderGrowthSection(growthPhase())).not.toContain("FerretDB");
    const ferret = renderGrowthSection(growthPhase({ isFerretDB: true, server: "FerretDB" }));
    expect(ferret).toContain("| GET /user | 100 | 1008 / 3700 | 1100 | 92% |");
    expect(ferret).toContain("serves every request-path query from an index");
  });
});
