// One deploy: read the secrets, apply everything in order, prune what left the manifests, wait for the rollout,
// and restore the last good revision when it fails. Returns the process exit code.
import { createHmac } from "node:crypto";
import {
  type Environment,
  type EnvironmentConfig,
  environmentConfigs,
  type PodSpecJson,
  secretNamesUsedBy,
  secrets,
} from "@accounts/k8s";
import type { KubeConfig } from "@kubernetes/client-node";
import {
  type ApplySet,
  encodeRevision,
  groupKindsOf,
  pruneCandidates,
  readApplySet,
  readRevision,
  type Revision,
  withMembership,
  writeApplySet,
} from "./applyset.ts";
import { kubeClient, type Kube } from "./kube.ts";
import { describe, type KubeObject, sortForApply, sortForDelete } from "./objects.ts";
import { applyObject, deleteObject, planObject } from "./reconcile.ts";
import { diagnose, isWorkload, waitForRollout } from "./rollout.ts";
import { readSecretInputs, secretObjects } from "./secrets.ts";

export type Synth = (environment: Environment, overrides: { imageTag: string; imageRegistry?: string }) => KubeObject[];

export interface DeployOptions {
  environment: Environment;
  imageTag: string;
  imageRegistry?: string;
  /** Show what would change (validated by the server with a dry-run apply), change nothing. */
  plan?: "dry-run" | "diff";
  timeoutMs: number;
  secretsDir?: string;
  env: Record<string, string | undefined>;
  log: (line: string) => void;
}

export async function deploy(
  connect: () => Promise<KubeConfig>,
  synth: Synth,
  options: DeployOptions,
): Promise<number> {
  const { log } = options;
  const started = new Date();
  const images = { imageTag: options.imageTag, ...(options.imageRegistry && { imageRegistry: options.imageRegistry }) };
  const config: EnvironmentConfig = { ...environmentConfigs[options.environment], ...images };
  const manifests = synth(options.environment, images);
  // Before connecting: a missing secret must stop the deploy before anything is applied.
  const values = await readSecretInputs(config, { env: options.env, dir: options.secretsDir });
  const namespace = manifests.find((object) => object.kind === "Namespace")?.metadata.name;
  if (!namespace) throw new Error("the manifests have no Namespace");

  const kubeConfig = await connect();
  const kube = kubeClient(kubeConfig);
  log(
    `${options.plan ?? "deploy"}: ${options.environment}, image tag ${options.imageTag}, ${kubeConfig.getCurrentCluster()?.server} namespace ${namespace}`,
  );
  const applySet = await readApplySet(kube, namespace);
  const rolloutDeadline = new Date(started.getTime() + options.timeoutMs);
  const secretsToApply = secretObjects({
    config,
    namespace,
    values,
    liveJwtSecret: await kube.get({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: secrets.jwt.name, namespace },
    }),
    liveMfaSecret: await kube.get({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: secrets.mfaEncryption.name, namespace },
    }),
    rolloutDeadline,
    now: started,
  });
  const desired = desiredObjects(manifests, secretsToApply, applySet, values);

  if (options.plan) return plan(kube, applySet, desired, options.plan, log);

  const previous = readRevision(applySet);
  const allKinds = [...new Set([...applySet.groupKinds, ...groupKindsOf(desired)])];
  const widened = { ...applySet, groupKinds: allKinds };
  const timeoutLabel = `the ${options.timeoutMs / 1000} s timeout`;
  // Manifests and images of the last good revision; the Secrets stay as this deploy wrote them.
  const rollBack = async (to: Revision): Promise<number> => {
    log(`rolling back to image tag ${to.imageTag}`);
    const restored = desiredObjects(to.objects, secretsToApply, applySet, values);
    await reconcile(kube, widened, restored, log);
    const stillStuck = await waitForRollout(kube, restored.filter(isWorkload), {
      deadline: new Date(Date.now() + options.timeoutMs),
      timeoutLabel,
      log,
    });
    await writeApplySet(kube, { ...applySet, groupKinds: groupKindsOf(restored) }, { dryRun: false });
    log(
      stillStuck.length === 0
        ? `rolled back to image tag ${to.imageTag}; the deploy of ${options.imageTag} failed`
        : `the rollback to ${to.imageTag} did not finish either: ${stillStuck.map(({ workload }) => describe(workload)).join(", ")}`,
    );
    return 1;
  };
  let stuck: Awaited<ReturnType<typeof waitForRollout>> = [];
  try {
    await reconcile(kube, widened, desired, log);
    log(`waiting for the rollout (until ${timeoutLabel} since the start)`);
    stuck = await waitForRollout(kube, desired.filter(isWorkload), { deadline: rolloutDeadline, timeoutLabel, log });
  } catch (error) {
    // Some objects may already be changed: restore the last good revision as for a failed rollout.
    if (!previous) throw error;
    log(`the deploy failed: ${(error as Error).message}`);
    return rollBack(previous);
  }
  if (stuck.length === 0) {
    const revision = encodeRevision({ imageTag: options.imageTag, objects: manifests });
    await writeApplySet(
      kube,
      { ...applySet, groupKinds: groupKindsOf(desired), revisionData: revision },
      { dryRun: false },
    );
    log(`deployed ${options.environment} at image tag ${options.imageTag}`);
    return 0;
  }

  log("the rollout failed:");
  for (const { workload, state } of stuck) log(`  ${describe(workload)}: ${state.message}`);
  for (const { workload } of stuck) for (const line of await diagnose(kube, workload, { logLines: 20 })) log(line);
  if (!previous) {
    log("no earlier revision to restore (this was the first deploy): the failed one stays in place");
    return 1;
  }
  return rollBack(previous);
}

/** Everything to apply, labelled as members of our ApplySet, pods annotated with a digest of their Secrets. */
function desiredObjects(
  manifests: KubeObject[],
  secretsToApply: KubeObject[],
  applySet: ApplySet,
  values: Map<string, string>,
): KubeObject[] {
  const secretData = new Map(
    secretsToApply.map((secret) => [secret.metadata.name, secret.data as Record<string, string>]),
  );
  // Keyed with the internal token so the digest says nothing about a weak value (e.g. a chosen password).
  const key = values.get(secrets.internalToken.keys.token)!;
  const withSecretDigest = (object: KubeObject): KubeObject => {
    if (!isWorkload(object)) return object;
    const spec = object.spec as {
      template: { metadata?: { annotations?: Record<string, string> }; spec: PodSpecJson };
    };
    const digest = createHmac("sha256", key);
    for (const name of secretNamesUsedBy(spec.template.spec))
      digest.update(`${name}\n${JSON.stringify(secretData.get(name) ?? {})}\n`);
    // A rotated key or password reaches running pods only through a restart, which this annotation triggers.
    const annotations = {
      ...spec.template.metadata?.annotations,
      "checksum/secrets": digest.digest("hex").slice(0, 16),
    };
    return {
      ...object,
      spec: { ...spec, template: { ...spec.template, metadata: { ...spec.template.metadata, annotations } } },
    };
  };
  return sortForApply([...manifests.map(withSecretDigest), ...secretsToApply]).map((object) =>
    withMembership(object, applySet),
  );
}

async function reconcile(
  kube: Kube,
  applySet: ApplySet,
  desired: KubeObject[],
  log: (line: string) => void,
): Promise<void> {
  // The Namespace first (it holds the parent), then the parent listing every kind that may hold members, so a
  // deploy interrupted after this point still prunes correctly next time.
  const [first, ...rest] = desired;
  if (first?.kind === "Namespace") log(`  ${describe(first)}: ${await applyObject(kube, first)}`);
  await writeApplySet(kube, applySet, { dryRun: false });
  for (const object of first?.kind === "Namespace" ? rest : desired)
    log(`  ${describe(object)}: ${await applyObject(kube, object)}`);
  for (const object of sortForDelete(await pruneCandidates(kube, applySet, desired))) {
    await deleteObject(kube, object);
    log(`  ${describe(object)}: pruned`);
  }
}

async function plan(
  kube: Kube,
  applySet: ApplySet,
  desired: KubeObject[],
  mode: "dry-run" | "diff",
  log: (line: string) => void,
): Promise<number> {
  const namespaceExists = (await kube.get(desired[0]!)) !== undefined;
  for (const object of desired) {
    const { action, changes } = await planObject(kube, object, namespaceExists);
    log(
      `  ${describe(object)}: ${action === "create" ? "would be created" : action === "configure" ? "would change" : "unchanged"}`,
    );
    if (mode === "diff") for (const change of changes) log(`    ${change}`);
  }
  if (namespaceExists) {
    const widened = { ...applySet, groupKinds: [...new Set([...applySet.groupKinds, ...groupKindsOf(desired)])] };
    for (const object of sortForDelete(await pruneCandidates(kube, widened, desired)))
      log(`  ${describe(object)}: would be pruned`);
  }
  log(`${mode}: nothing was changed`);
  return 0;
}
