/** The parts of a synthesized container that can read a Secret. */
interface ContainerJson {
  env?: Array<{ valueFrom?: { secretKeyRef?: { name: string } } }>;
  envFrom?: Array<{ secretRef?: { name: string } }>;
}

export interface PodSpecJson {
  containers: ContainerJson[];
  initContainers?: ContainerJson[];
}

/** The names of the Secrets a pod spec reads (env secretKeyRefs and envFrom secretRefs), sorted, each once. */
export function secretNamesUsedBy(spec: PodSpecJson): string[] {
  const names = [...spec.containers, ...(spec.initContainers ?? [])].flatMap((container) => [
    ...(container.env ?? []).flatMap((variable) => variable.valueFrom?.secretKeyRef?.name ?? []),
    ...(container.envFrom ?? []).flatMap((source) => source.secretRef?.name ?? []),
  ]);
  return [...new Set(names)].toSorted();
}
