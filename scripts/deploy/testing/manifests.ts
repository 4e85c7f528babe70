import type { KubeObject } from "../objects.ts";

/** The same manifests in another namespace; cluster-scoped objects other than the Namespace get a prefixed name. */
export function moveToNamespace(manifests: Array<Record<string, any>>, namespace: string): KubeObject[] {
  return (manifests as KubeObject[]).map((object) => {
    if (object.kind === "Namespace") return { ...object, metadata: { ...object.metadata, name: namespace } };
    if (!object.metadata.namespace) return { ...object, metadata: { ...object.metadata, name: `${namespace}-${object.metadata.name}` } };
    return { ...object, metadata: { ...object.metadata, namespace } };
  });
}
