/** Small queries over synthesized manifests, shared by the k8s test files. */

// biome-ignore lint/suspicious/noExplicitAny: assertions walk synthesized JSON of every kind; a wrong path fails the test.
export type KubeObject = Record<string, any>;

export const ofKind = (objects: KubeObject[], kind: string) => objects.filter((object) => object.kind === kind);

export function named(objects: KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
}

/** Every pod template with the workload that owns it. */
export const podTemplates = (objects: KubeObject[]) =>
  objects
    .filter((object) => object.kind === "Deployment" || object.kind === "StatefulSet")
    .map((workload) => ({ workload, template: workload.spec.template as KubeObject }));

export const containersOf = (objects: KubeObject[]) =>
  podTemplates(objects).flatMap(({ workload, template }) =>
    [...template.spec.containers, ...(template.spec.initContainers ?? [])].map((container: KubeObject) => ({
      workload,
      container,
    })),
  );

/** `matchLabels` semantics: every selector label is on the pod (an empty selector matches all). */
export const selects = (matchLabels: Record<string, string> | undefined, labels: Record<string, string>) =>
  Object.entries(matchLabels ?? {}).every(([key, value]) => labels[key] === value);

export function templateOf(objects: KubeObject[], name: string): KubeObject {
  const found = podTemplates(objects).find(({ workload }) => workload.metadata.name === name);
  if (!found) throw new Error(`no workload ${name}`);
  return found.template;
}

/** Kubernetes quantity → MiB, for the binary units we write. */
export function mebibytes(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(Mi|Gi)$/.exec(quantity);
  if (!match) throw new Error(`unexpected quantity ${quantity}`);
  return Number(match[1]) * (match[2] === "Gi" ? 1024 : 1);
}
