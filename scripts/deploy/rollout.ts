// Waits the way `kubectl rollout status` does, for every Deployment and StatefulSet at once, and on failure
// gathers what an operator would look at first: the pods' state, their events and their last log lines.
import type { Kube } from "./kube.ts";
import { describe, type KubeObject } from "./objects.ts";

export interface RolloutState {
  done: boolean;
  /** Set when waiting longer cannot help (the Deployment's progress deadline passed). */
  failed?: boolean;
  message: string;
}

interface WorkloadStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  currentRevision?: string;
  updateRevision?: string;
  conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
}

export function rolloutState(live: KubeObject): RolloutState {
  const status = (live.status ?? {}) as WorkloadStatus;
  const spec = live.spec as { replicas?: number; updateStrategy?: { type?: string } };
  const generation = (live.metadata.generation as number | undefined) ?? 0;
  if ((status.observedGeneration ?? 0) < generation)
    return { done: false, message: "waiting for the controller to see the new spec" };
  const wanted = spec.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;

  if (live.kind === "Deployment") {
    const progressing = status.conditions?.find((condition) => condition.type === "Progressing");
    if (progressing?.reason === "ProgressDeadlineExceeded") {
      return {
        done: false,
        failed: true,
        message: `exceeded its progress deadline: ${progressing.message ?? ""}`.trim(),
      };
    }
    if (updated < wanted) return { done: false, message: `${updated} of ${wanted} new replicas updated` };
    if ((status.replicas ?? 0) > updated)
      return { done: false, message: `${(status.replicas ?? 0) - updated} old replicas pending termination` };
    if ((status.availableReplicas ?? 0) < updated)
      return { done: false, message: `${status.availableReplicas ?? 0} of ${updated} updated replicas available` };
    return { done: true, message: `${updated} replicas available` };
  }
  if (live.kind === "StatefulSet") {
    if ((status.readyReplicas ?? 0) < wanted)
      return { done: false, message: `${status.readyReplicas ?? 0} of ${wanted} pods ready` };
    if (spec.updateStrategy?.type !== "OnDelete" && status.updateRevision !== status.currentRevision) {
      return { done: false, message: `${updated} of ${wanted} pods at the new revision` };
    }
    return { done: true, message: `${wanted} pods ready` };
  }
  return { done: true, message: "nothing to wait for" };
}

export const isWorkload = (object: KubeObject): boolean =>
  object.kind === "Deployment" || object.kind === "StatefulSet";

/** How often a rollout's state is read: often enough for CI logs, rarely enough for the API server. */
const pollMs = 2000;

/** Polls until every workload has rolled out; returns the ones that did not, with their last state. */
export async function waitForRollout(
  kube: Kube,
  workloads: readonly KubeObject[],
  options: { deadline: Date; timeoutLabel: string; log: (line: string) => void },
): Promise<Array<{ workload: KubeObject; state: RolloutState }>> {
  const deadline = options.deadline.getTime();
  const last = new Map<string, string>();
  let pending = [...workloads];
  const stuck: Array<{ workload: KubeObject; state: RolloutState }> = [];
  while (pending.length > 0) {
    const next: KubeObject[] = [];
    for (const workload of pending) {
      const live = await kube.get(workload);
      const state: RolloutState = live
        ? rolloutState(live)
        : { done: false, failed: true, message: "it no longer exists" };
      // One line per change of state: readable in CI logs, no spinner.
      if (last.get(describe(workload)) !== state.message) options.log(`  ${describe(workload)}: ${state.message}`);
      last.set(describe(workload), state.message);
      if (state.failed) stuck.push({ workload, state });
      else if (!state.done) next.push(workload);
    }
    pending = next;
    if (pending.length === 0) break;
    if (Date.now() >= deadline) {
      for (const workload of pending) {
        stuck.push({
          workload,
          state: {
            done: false,
            failed: true,
            message: `not rolled out within ${options.timeoutLabel}: ${last.get(describe(workload))}`,
          },
        });
      }
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, Math.max(0, deadline - Date.now()))));
  }
  return stuck;
}

/** What went wrong with a workload, as text: its pods, their waiting reasons, events and last log lines. */
export async function diagnose(kube: Kube, workload: KubeObject, options: { logLines: number }): Promise<string[]> {
  const namespace = workload.metadata.namespace!;
  const lines: string[] = [];
  const events = async (kind: string, name: string) => {
    const found = await kube.list("v1", "Event", {
      namespace,
      fieldSelector: `involvedObject.kind=${kind},involvedObject.name=${name}`,
    });
    for (const event of found.slice(-10)) {
      lines.push(
        `    event ${`${event.type ?? ""} ${event.reason ?? ""}: ${event.message ?? ""}`.replace(/\s+/g, " ").trim()}`,
      );
    }
  };
  lines.push(`  ${describe(workload)}:`);
  await events(workload.kind, workload.metadata.name);
  const selector =
    (workload.spec as { selector?: { matchLabels?: Record<string, string> } }).selector?.matchLabels ?? {};
  const labelSelector = Object.entries(selector)
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
  const pods = labelSelector ? await kube.list("v1", "Pod", { namespace, labelSelector }) : [];
  if (pods.length === 0) lines.push("    no pods");
  for (const pod of pods) {
    const status = (pod.status ?? {}) as {
      phase?: string;
      containerStatuses?: Array<{
        name: string;
        ready: boolean;
        restartCount: number;
        state?: Record<string, { reason?: string; message?: string }>;
      }>;
    };
    lines.push(`    pod ${pod.metadata.name}: ${status.phase ?? "Unknown"}`);
    for (const container of status.containerStatuses ?? []) {
      const [stateName, detail] = Object.entries(container.state ?? {})[0] ?? ["unknown", {}];
      lines.push(
        `      container ${container.name}: ${stateName} ${detail.reason ?? ""} ${detail.message ?? ""} (restarts: ${container.restartCount})`.trimEnd(),
      );
    }
    await events("Pod", pod.metadata.name);
    const containers = ((pod.spec as { containers?: Array<{ name: string }> }).containers ?? []).map(
      (container) => container.name,
    );
    for (const container of containers) {
      try {
        const log = (await kube.podLogTail(namespace, pod.metadata.name, container, options.logLines)).trimEnd();
        lines.push(
          `      last log lines of ${container}:`,
          ...(log ? log.split("\n").map((line) => `        ${line}`) : ["        (empty)"]),
        );
      } catch (error) {
        lines.push(`      no logs from ${container}: ${(error as Error).message}`);
      }
    }
  }
  return lines;
}
