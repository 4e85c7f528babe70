// Server-side apply in dependency order, what-would-change reports, and pruning of members no longer wanted.
import diff from "microdiff";
import { FIELD_MANAGER } from "./applyset.ts";
import { type Kube, KubeError } from "./kube.ts";
import { describe, type KubeObject } from "./objects.ts";

export type Action = "created" | "configured" | "unchanged";

/** Applies one object and tells whether it was created, changed or left as it was (same resourceVersion). */
export async function applyObject(kube: Kube, object: KubeObject): Promise<Action> {
  const before = await kube.get(object);
  const after = await guardSecret(object, () => kube.apply(object, { fieldManager: FIELD_MANAGER, dryRun: false }));
  if (!before) return "created";
  return before.metadata.resourceVersion === after.metadata.resourceVersion ? "unchanged" : "configured";
}

/** The server's answer to a dry-run apply compared with the live object, as readable lines. */
export async function planObject(
  kube: Kube,
  object: KubeObject,
  namespaceExists: boolean,
): Promise<{ action: "create" | "configure" | "unchanged"; changes: string[] }> {
  const live = namespaceExists || !object.metadata.namespace ? await kube.get(object) : undefined;
  // The namespace itself is only created by a real apply, so the server cannot dry-run what goes into it yet.
  if (!live && object.metadata.namespace && !namespaceExists)
    return { action: "create", changes: ["(not validated: its namespace does not exist yet)"] };
  const result = await guardSecret(object, () => kube.apply(object, { fieldManager: FIELD_MANAGER, dryRun: true }));
  if (!live) return { action: "create", changes: [] };
  const changes = diff(comparable(live), comparable(result)).map((change) => {
    const path = change.path.join(".");
    if (object.kind === "Secret") return `  ~ ${path} (value hidden)`;
    if (change.type === "CREATE") return `  + ${path}: ${JSON.stringify(change.value)}`;
    if (change.type === "REMOVE") return `  - ${path}: ${JSON.stringify(change.oldValue)}`;
    return `  ~ ${path}: ${JSON.stringify(change.oldValue)} → ${JSON.stringify(change.value)}`;
  });
  return { action: changes.length > 0 ? "configure" : "unchanged", changes };
}

/** Fields the server maintains on every write; a difference there is not a change we make. */
function comparable(object: KubeObject): Record<string, unknown> {
  const { managedFields, resourceVersion, generation, uid, creationTimestamp, ...metadata } = object.metadata;
  const { status, ...rest } = object;
  return { ...rest, metadata };
}

export async function deleteObject(kube: Kube, object: KubeObject): Promise<void> {
  try {
    await kube.delete(object, { dryRun: false });
  } catch (error) {
    if (!(error instanceof KubeError && error.status === 404)) throw error;
  }
}

/** The API server may quote a rejected Secret's data back in its message: keep only status and reason. */
async function guardSecret<T>(object: KubeObject, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (object.kind === "Secret" && error instanceof KubeError) {
      throw new KubeError(
        error.status,
        error.reason,
        `applying ${describe(object)} failed: ${error.status} ${error.reason}`,
      );
    }
    throw error;
  }
}
