import type { ManifestObject } from "@accounts/k8s";

/** A Kubernetes object as plain JSON: what synth produces and what the API server returns. */
export type KubeObject = ManifestObject;

/** Dependencies first: what a pod mounts or runs as exists before the pod; what selects pods comes after them. */
const applyOrder = [
  "Namespace",
  "StorageClass",
  "ServiceAccount",
  "ConfigMap",
  "Secret",
  "Service",
  "StatefulSet",
  "Deployment",
  "HorizontalPodAutoscaler",
  "PodDisruptionBudget",
  "NetworkPolicy",
  "Ingress",
];

export function sortForApply<T extends KubeObject>(objects: readonly T[]): T[] {
  const rank = (object: T) => {
    const index = applyOrder.indexOf(object.kind);
    if (index === -1) throw new Error(`${object.kind} has no place in the apply order (scripts/deploy/objects.ts)`);
    return index;
  };
  return objects.toSorted((a, b) => rank(a) - rank(b));
}

/** Deleted in reverse: the Ingress stops sending traffic before the Deployment behind it goes. */
export const sortForDelete = <T extends KubeObject>(objects: readonly T[]): T[] => sortForApply(objects).toReversed();

/** `Deployment.apps`, or just `Service` for the core group: the form ApplySet annotations use. */
export function groupKind(object: Pick<KubeObject, "apiVersion" | "kind">): string {
  const slash = object.apiVersion.indexOf("/");
  return slash === -1 ? object.kind : `${object.kind}.${object.apiVersion.slice(0, slash)}`;
}

export const describe = (object: Pick<KubeObject, "kind" | "metadata">): string =>
  `${object.kind} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ""}${object.metadata.name}`;

export const identity = (object: Pick<KubeObject, "apiVersion" | "kind" | "metadata">): string =>
  `${groupKind(object)}/${object.metadata.namespace ?? ""}/${object.metadata.name}`;
