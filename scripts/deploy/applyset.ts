// Which objects are ours, per KEP-3659 (ApplySet): a parent object lists the kinds we manage, and every member
// carries the parent's id in a label. Pruning only ever lists by that label, so objects someone else created in the
// namespace are never touched. The parent, a ConfigMap, also keeps the last revision that rolled out, for rollbacks.
import { createHash } from "node:crypto";
import { gunzipSync, gzipSync } from "node:zlib";
import type { Kube } from "./kube.ts";
import { groupKind, identity, type KubeObject } from "./objects.ts";

export const FIELD_MANAGER = "accounts-deploy";
const parentName = "accounts-deploy";
const tooling = "accounts-deploy/v1";
/** The label that makes an object a member of our ApplySet (not app.kubernetes.io/part-of, the chart's own label). */
const applySetMemberLabel = "applyset.kubernetes.io/part-of";
const revisionKey = "revision.json.gz";

/** The manifests and image tag of a deploy whose rollout succeeded. Secrets are not kept: they stay as last applied. */
export interface Revision {
  imageTag: string;
  objects: KubeObject[];
}

export interface ApplySet {
  id: string;
  namespace: string;
  /** Group-kinds the parent lists: every kind that may hold members, so pruning knows where to look. */
  groupKinds: string[];
  /** Stored gzip as the server returned it, so re-applying the parent unchanged is a no-op. */
  revisionData?: string;
}

/** KEP-3659: base64url(sha256(<name>.<namespace>.<kind>.<group>)), unpadded. */
export const applySetId = (namespace: string): string =>
  `applyset-${createHash("sha256").update(`${parentName}.${namespace}.ConfigMap.`).digest("base64url")}-v1`;

export function withMembership<T extends KubeObject>(object: T, applySet: Pick<ApplySet, "id">): T {
  return {
    ...object,
    metadata: { ...object.metadata, labels: { ...object.metadata.labels, [applySetMemberLabel]: applySet.id } },
  };
}

export async function readApplySet(kube: Kube, namespace: string): Promise<ApplySet> {
  const live = await kube.get({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: parentName, namespace } });
  const listed = live?.metadata.annotations?.["applyset.kubernetes.io/contains-group-kinds"];
  return {
    id: applySetId(namespace),
    namespace,
    groupKinds: listed ? listed.split(",") : [],
    revisionData: (live?.binaryData as Record<string, string> | undefined)?.[revisionKey],
  };
}

export function readRevision(applySet: ApplySet): Revision | undefined {
  if (!applySet.revisionData) return undefined;
  return JSON.parse(gunzipSync(Buffer.from(applySet.revisionData, "base64")).toString("utf8")) as Revision;
}

export function encodeRevision(revision: Revision): string {
  // gzip from node:zlib writes no timestamp, so the same revision always encodes to the same bytes.
  return gzipSync(JSON.stringify(revision), { level: 9 }).toString("base64");
}

export const groupKindsOf = (objects: readonly KubeObject[]): string[] =>
  [...new Set(objects.map(groupKind))].toSorted();

export async function writeApplySet(kube: Kube, applySet: ApplySet, options: { dryRun: boolean }): Promise<KubeObject> {
  return kube.apply(
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: parentName,
        namespace: applySet.namespace,
        labels: { "applyset.kubernetes.io/id": applySet.id },
        annotations: {
          "applyset.kubernetes.io/tooling": tooling,
          "applyset.kubernetes.io/contains-group-kinds": applySet.groupKinds.toSorted().join(","),
        },
      },
      ...(applySet.revisionData ? { binaryData: { [revisionKey]: applySet.revisionData } } : {}),
    },
    { fieldManager: FIELD_MANAGER, dryRun: options.dryRun },
  );
}

/** Members of the set that are live but no longer wanted, in deletion order. */
export async function pruneCandidates(
  kube: Kube,
  applySet: ApplySet,
  wanted: readonly KubeObject[],
): Promise<KubeObject[]> {
  const keep = new Set(wanted.map(identity));
  const found: KubeObject[] = [];
  for (const kindName of applySet.groupKinds) {
    const [kind, ...group] = kindName.split(".");
    const apiVersion = await kube.preferredApiVersion(group.join("."));
    const { namespaced } = await kube.collectionPath(apiVersion, kind!, applySet.namespace);
    const members = await kube.list(apiVersion, kind!, {
      namespace: namespaced ? applySet.namespace : undefined,
      labelSelector: `${applySetMemberLabel}=${applySet.id}`,
    });
    for (const member of members) {
      if (!keep.has(identity(member))) found.push(member);
    }
  }
  return found;
}
