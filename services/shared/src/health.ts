import { Elysia, t } from "elysia";
import { HttpProblem, problemResponses } from "./problem.ts";

/**
 * A readiness check: resolves true when its dependency is usable; false, a rejection or a timeout mean not
 * ready. `signal` aborts at the timeout: pass it on (to fetch, to the database driver) so a hanging check's
 * work stops with it instead of running on unseen.
 */
export type ReadinessCheck = (signal: AbortSignal) => boolean | Promise<boolean>;

// Below the kubelet's default probe timeout (1 s), so a hanging dependency reads as "down", not as a dead pod.
const CHECK_TIMEOUT_MS = 800;

async function passes(check: ReadinessCheck): Promise<boolean> {
  const signal = AbortSignal.timeout(CHECK_TIMEOUT_MS);
  const timedOut = new Promise<false>((resolve) =>
    signal.addEventListener("abort", () => resolve(false), { once: true }),
  );
  try {
    return await Promise.race([Promise.resolve().then(() => check(signal)), timedOut]);
  } catch {
    return false;
  }
}

const Health = t.Object({ status: t.Literal("ok") });
const Ready = t.Object({ status: t.Literal("ready"), checks: t.Record(t.String(), t.Literal("up")) });

/**
 * `GET /health` answers 200 while the process runs (liveness); `GET /ready` runs every check on each call,
 * so it turns 503 (naming the failed checks) while a dependency is down and 200 again once it is back.
 */
export const health = (checks: Record<string, ReadinessCheck>) =>
  new Elysia({ name: "accounts.health", seed: Object.keys(checks) })
    // Set by `listen` on SIGTERM: from then on /ready says 503, so no new work is routed here while the
    // requests in flight finish.
    .state("draining", false)
    .get("/health", () => ({ status: "ok" as const }), {
      response: { 200: Health },
      detail: { tags: ["operations"], summary: "Liveness: the process answers" },
    })
    .get(
      "/ready",
      async ({ store }) => {
        if (store.draining) throw new HttpProblem(503, "Not ready: shutting down", { retryAfterSeconds: 1 });
        const names = Object.keys(checks);
        const results = await Promise.all(names.map((name) => passes(checks[name]!)));
        const down = names.filter((_, i) => !results[i]);
        const states = Object.fromEntries(names.map((name, i) => [name, results[i] ? "up" : "down"]));
        if (down.length > 0)
          throw new HttpProblem(503, `Not ready: ${down.join(", ")} down`, { checks: states, retryAfterSeconds: 1 });
        return { status: "ready" as const, checks: states as Record<string, "up"> };
      },
      {
        response: { 200: Ready, ...problemResponses(503) },
        detail: { tags: ["operations"], summary: "Readiness: every dependency is usable" },
      },
    );
