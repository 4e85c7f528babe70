// The comparison phase: each of our flows and the peer's counterpart at the same connection counts and duration,
// the two systems' runs alternating (ours first, then the peer first, and so on) so that noise on a shared
// machine hits both alike; and each system's hash measured alone, so the report can tell the hash from the rest.
import { join } from "node:path";
import { runHashLimit } from "../hash-limit-process.ts";
import { getUser, type LoadResult, logIn, signUp } from "../load.ts";
import { observeProcesses } from "../observe.ts";
import type { HashLimitRun, Service } from "../report.ts";
import { peerGetSession, peerSessionCookie, peerSignIn, peerSignUp, peerSignUpUsers } from "./load.ts";
import type { Peer } from "./process.ts";
import type { FlowPair, PeerComparison } from "./report.ts";

export interface ComparisonPlan {
  seconds: number;
  password: string;
  runId: string;
  hashingConnections: readonly number[];
  fastConnections: readonly number[];
  ours: {
    url: string;
    pids: Record<Service, number>;
    users: readonly { email: string; password: string }[];
    token: string;
    hashLimit: (operation: "hash" | "verify") => Promise<HashLimitRun>;
  };
  peer: Peer;
  /** Runs one measurement, printing its label and rate. */
  step: <T extends { perSecond: number; foreignCpu: number }>(label: string, run: () => Promise<T>) => Promise<T>;
}

export async function comparePeer(plan: ComparisonPlan): Promise<PeerComparison> {
  const { seconds, password, ours, peer, step } = plan;
  const peerUsers = ours.users.map((user) => ({ ...user, email: user.email.replace("@", "-peer@") }));
  await peerSignUpUsers(peer.url, peerUsers);
  const cookie = await peerSessionCookie(peer.url, peerUsers[0]!);
  const peerLimit = (operation: "hash" | "verify") =>
    runHashLimit(join(import.meta.dir, "hash-limit.ts"), [operation, String(seconds)]);

  const hashCost: PeerComparison["hashCost"] = {
    ours: {
      hash: await step("argon2id hash limit (ours)", () => ours.hashLimit("hash")),
      verify: await step("argon2id verify limit (ours)", () => ours.hashLimit("verify")),
    },
    peer: {
      hash: await step("scrypt hash limit (Better Auth)", () => peerLimit("hash")),
      verify: await step("scrypt verify limit (Better Auth)", () => peerLimit("verify")),
    },
  };
  // Unrecorded warm-up of the peer, as main.ts does for ours.
  await peerGetSession(peer.url, 10, 2, cookie);

  let oursFirst = true;
  const pairs = async (
    connectionCounts: readonly number[],
    label: { ours: string; peer: string },
    runOurs: (connections: number) => Promise<LoadResult>,
    runPeer: (connections: number) => Promise<LoadResult>,
  ): Promise<FlowPair[]> => {
    const result: FlowPair[] = [];
    for (const connections of connectionCounts) {
      const measureOurs = () =>
        observeProcesses(ours.pids, () =>
          step(`${label.ours}, ${connections} connections`, () => runOurs(connections)),
        );
      const measurePeer = () =>
        observeProcesses({ "better-auth": peer.pid }, () =>
          step(`${label.peer}, ${connections} connections`, () => runPeer(connections)),
        );
      if (oursFirst) {
        const oursRun = await measureOurs();
        result.push({ ours: oursRun, peer: await measurePeer() });
      } else {
        const peerRun = await measurePeer();
        result.push({ ours: await measureOurs(), peer: peerRun });
      }
      oursFirst = !oursFirst;
    }
    return result;
  };

  return {
    hashCost,
    signUp: await pairs(
      plan.hashingConnections,
      { ours: "POST /signup", peer: "Better Auth sign-up" },
      (connections) => signUp(ours.url, connections, seconds, password, `${plan.runId}-vs-${connections}`),
      (connections) => peerSignUp(peer.url, connections, seconds, password, `${plan.runId}-peer-${connections}`),
    ),
    signIn: await pairs(
      plan.hashingConnections,
      { ours: "POST /login", peer: "Better Auth sign-in" },
      (connections) => logIn(ours.url, connections, seconds, ours.users),
      (connections) => peerSignIn(peer.url, connections, seconds, peerUsers),
    ),
    session: await pairs(
      plan.fastConnections,
      { ours: "GET /user", peer: "Better Auth get-session" },
      (connections) => getUser(ours.url, connections, seconds, ours.token),
      (connections) => peerGetSession(peer.url, connections, seconds, cookie),
    ),
    // Refresh (sessions issue, POST /refresh): Better Auth has no refresh endpoint of its own; get-session extends
    // a session's expiry once a day (updateAge) as a side effect. Add our POST /refresh as a row of its own here.
  };
}
