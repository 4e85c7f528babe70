import { ApiObject, JsonPatch } from "cdk8s";
import * as kplus from "cdk8s-plus-33";
import type { Construct } from "constructs";
import { runAsId } from "./config.ts";

const seccompProfile = { type: kplus.SeccompProfileType.RUNTIME_DEFAULT };

export const podSecurityContext: kplus.PodSecurityContextProps = {
  ensureNonRoot: true,
  user: runAsId,
  group: runAsId,
  // Lets the non-root user write the volumes the pod mounts (emptyDir, the MongoDB volume).
  fsGroup: runAsId,
  // Re-owning a large MongoDB volume on every start is slow; only do it when the root is wrong.
  fsGroupChangePolicy: kplus.FsGroupChangePolicy.ON_ROOT_MISMATCH,
};

/** The Kubernetes "restricted" Pod Security Standard, plus a read-only root filesystem. */
export const restrictedContainerSecurityContext: kplus.ContainerSecurityContextProps = {
  ensureNonRoot: true,
  user: runAsId,
  group: runAsId,
  privileged: false,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: [kplus.Capability.ALL] },
  seccompProfile,
};

/**
 * Spreads a workload's pods over zones, then nodes. `ScheduleAnyway` keeps a single-zone dev cluster or a zone outage
 * from leaving pods pending; `matchLabelKeys` counts each ReplicaSet on its own, so a rollout spreads its new pods too.
 */
export function spreadAcrossZonesAndNodes(labels: Record<string, string>) {
  return ["topology.kubernetes.io/zone", "kubernetes.io/hostname"].map((topologyKey) => ({
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable: "ScheduleAnyway",
    labelSelector: { matchLabels: labels },
    matchLabelKeys: ["pod-template-hash"],
  }));
}

export const selectorLabels = (name: string) => ({ "app.kubernetes.io/name": name });

/** A workload's pods by our own label; Services and NetworkPolicies select them with it. */
export const podsOf = (scope: Construct, name: string) =>
  kplus.Pods.select(scope, `${name}-pods`, { labels: selectorLabels(name) });

/**
 * cdk8s-plus labels every pod template with a generated address (chart and construct path) and selects by it; we
 * select by `app.kubernetes.io/name` instead, which reads well and is the same in every environment.
 */
export const withoutGeneratedAddressLabel = (workload: kplus.Deployment | kplus.StatefulSet) =>
  ApiObject.of(workload).addJsonPatch(JsonPatch.remove("/spec/template/metadata/labels/cdk8s.io~1metadata.addr"));
