// The deploy tool against a real kube-apiserver (scripts/testing): the CLI runs under Node as `bun run deploy`
// does, with a kubeconfig that trusts the harness CA. No controllers run there, so simulateControllers writes the
// workloads' status through the /status subresource as the Deployment and StatefulSet controllers would.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateInternalToken } from "@accounts/shared/secrets";
import { kubeTestServer } from "../testing/kube-apiserver.ts";
import { createTestPki } from "../testing/pki.ts";
import {
  canRunCli,
  clusterApi,
  type DeployRun,
  runDeploy,
  secretInputs,
  signingKey,
  simulateControllers,
} from "./testing/cluster.ts";

const cluster = canRunCli ? await kubeTestServer() : undefined;
// Each run spawns Node and synthesizes the manifests; a failing rollout waits out its timeout and then the rollback.
const slow = 90_000;

type DeployOptions = { omit?: string[]; extra?: string[]; env?: Record<string, string> };

/** The values among the deploy environment's secret inputs that no output may show. */
const secretValues = (env: Record<string, string>) => [
  env.INTERNAL_TOKEN!,
  env.MONGO_INITDB_ROOT_PASSWORD!,
  JSON.parse(env.JWT_SIGNING_KEY!).d as string,
];

describe.skipIf(!cluster)("deploy (against a real kube-apiserver)", () => {
  const api = clusterApi(cluster!);
  const suite = Date.now().toString(36);
  let namespaces = 0;
  // The controllers played in the namespaces of the test running.
  const testControllers: Array<{ stop: () => Promise<void> }> = [];

  /**
   * A namespace of its own to deploy to, with its own secret inputs and the controllers played there, so no test
   * sees another's changes. Namespaces cannot be deleted in the test API server, so each name is new.
   */
  async function target(label: string) {
    const namespace = `deploy-${label}-${suite}-${++namespaces}`;
    const secrets = await secretInputs();
    const controllers = simulateControllers(api, namespace);
    const ns = `/api/v1/namespaces/${namespace}`;
    const apps = `/apis/apps/v1/namespaces/${namespace}`;
    // Every secret value any deploy here was given (a rotated-out key too): no output may show one.
    const given = new Set<string>();
    const deploy = async (imageTag: string, options: DeployOptions = {}): Promise<DeployRun> => {
      const env = { ...secrets, ...options.env };
      for (const value of secretValues(env)) given.add(value);
      const run = await runDeploy(
        ["dev", "--image-tag", imageTag, "--kubeconfig", cluster!.kubeconfigPath, ...(options.extra ?? [])],
        { namespace, env, omit: options.omit },
      );
      for (const value of given) expect(run.output).not.toContain(value);
      return run;
    };
    const images = async () =>
      Object.fromEntries(
        (await api.list(`${apps}/deployments`)).map((deployment) => [
          deployment.metadata.name,
          (deployment.spec as { template: { spec: { containers: Array<{ image: string }> } } }).template.spec
            .containers[0]!.image,
        ]),
      );
    return { namespace, secrets, ns, apps, deploy, images, controllers };
  }

  /** A target after a first deploy of image tag v1: for a test that changes what is deployed. */
  async function deployed(label: string) {
    const own = await target(label);
    testControllers.push(own.controllers);
    const first = await own.deploy("v1");
    expect(first.exitCode, first.output).toBe(0);
    return own;
  }

  // The first deploy (image tag v1), done once. Tests only read this namespace, or deploy to it what must change
  // nothing, which they assert; a test that changes what is deployed has a namespace of its own.
  let baseline: Awaited<ReturnType<typeof target>>;
  let firstDeploy: DeployRun;
  beforeAll(async () => {
    baseline = await target("baseline");
    firstDeploy = await baseline.deploy("v1");
  }, slow);
  afterEach(async () => {
    await Promise.all(testControllers.splice(0).map((loop) => loop.stop()));
  });
  afterAll(async () => {
    await baseline?.controllers.stop();
  });

  test("a first deploy creates everything and records the revision", async () => {
    const { namespace, ns, apps, images } = baseline;
    const run = firstDeploy;
    expect(run.exitCode, run.output).toBe(0);
    expect(run.output).toContain(`Namespace ${namespace}: created`);
    for (const path of [
      `${ns}/serviceaccounts/auth-api`,
      `${ns}/configmaps/users-api`,
      `${ns}/secrets/auth-api-jwt`,
      `${ns}/secrets/internal-token`,
      `${ns}/secrets/users-api-mongodb`,
      `${ns}/secrets/mongodb-root`,
      `${ns}/services/users-api`,
      `${apps}/statefulsets/mongodb`,
      `${apps}/deployments/auth-api`,
      `${apps}/deployments/users-api`,
      `/apis/autoscaling/v2/namespaces/${namespace}/horizontalpodautoscalers/users-api`,
      `/apis/policy/v1/namespaces/${namespace}/poddisruptionbudgets/users-api`,
      `/apis/networking.k8s.io/v1/namespaces/${namespace}/networkpolicies/default-deny`,
      `/apis/networking.k8s.io/v1/namespaces/${namespace}/ingresses/users-api`,
      `/apis/storage.k8s.io/v1/storageclasses/${namespace}-accounts-gp3`,
    ]) {
      expect(await api.get(path), path).toBeDefined();
    }
    expect(Object.values(await images()).every((image) => image.endsWith(":v1"))).toBe(true);
    const parent = await api.get(`${ns}/configmaps/accounts-deploy`);
    expect(parent?.metadata.labels?.["applyset.kubernetes.io/id"]).toMatch(/^applyset-[A-Za-z0-9_-]{43}-v1$/);
    expect(parent?.metadata.annotations?.["applyset.kubernetes.io/contains-group-kinds"]).toContain("Deployment.apps");
    expect(run.output).toContain("deployed dev at image tag v1");
  });

  test("the Secrets hold the deploy environment's values, which the output never shows", async () => {
    const { ns, secrets } = baseline;
    const secret = await api.get(`${ns}/secrets/internal-token`);
    expect(Buffer.from((secret!.data as Record<string, string>).INTERNAL_TOKEN!, "base64").toString()).toBe(
      secrets.INTERNAL_TOKEN!,
    );
    const uri = await api.get(`${ns}/secrets/users-api-mongodb`);
    expect(Buffer.from((uri!.data as Record<string, string>).MONGODB_URI!, "base64").toString()).toContain(
      encodeURIComponent(secrets.MONGO_INITDB_ROOT_PASSWORD!),
    );
    for (const value of secretValues(secrets)) expect(firstDeploy.output).not.toContain(value);
  });

  test(
    "a second deploy with no change changes nothing",
    async () => {
      const { namespace, ns, apps, deploy } = baseline;
      const versions = async () => {
        const all = [
          ...(await api.list(`${ns}/configmaps`)),
          ...(await api.list(`${ns}/secrets`)),
          ...(await api.list(`${ns}/services`)),
          ...(await api.list(`${apps}/deployments`)),
          ...(await api.list(`${apps}/statefulsets`)),
          ...(await api.list(`/apis/networking.k8s.io/v1/namespaces/${namespace}/networkpolicies`)),
        ];
        return Object.fromEntries(all.map((object) => [`${object.metadata.uid}`, object.metadata.resourceVersion]));
      };
      const before = await versions();
      const run = await deploy("v1");
      expect(run.exitCode, run.output).toBe(0);
      expect(run.output).not.toMatch(/: (created|configured|pruned)$/m);
      expect(run.output).toMatch(/Deployment .*\/users-api: unchanged/);
      expect(await versions()).toEqual(before);
    },
    slow,
  );

  test(
    "--diff shows the image change and changes nothing",
    async () => {
      const { deploy, images } = baseline;
      const run = await deploy("v2", { extra: ["--diff"] });
      expect(run.exitCode, run.output).toBe(0);
      expect(run.output).toMatch(/Deployment .*\/users-api: would change/);
      expect(run.output).toMatch(/~ spec\.template\.spec\.containers\.0\.image: ".*:v1" → ".*:v2"/);
      expect(run.output).toContain("diff: nothing was changed");
      expect(Object.values(await images()).every((image) => image.endsWith(":v1"))).toBe(true);
    },
    slow,
  );

  test(
    "a new image tag rolls the Deployments",
    async () => {
      const { apps, deploy, images } = await deployed("roll");
      const generation = (await api.get(`${apps}/deployments/users-api`))?.metadata.generation as number;
      const run = await deploy("v2");
      expect(run.exitCode, run.output).toBe(0);
      expect(run.output).toMatch(/Deployment .*\/users-api: configured/);
      expect(run.output).toMatch(/Deployment .*\/users-api: \d+ replicas? available/);
      expect(await images()).toEqual({
        "auth-api": expect.stringMatching(/\/accounts\/auth-api:v2$/),
        "users-api": expect.stringMatching(/\/accounts\/users-api:v2$/),
      });
      expect((await api.get(`${apps}/deployments/users-api`))?.metadata.generation).toBe(generation + 1);
    },
    slow,
  );

  test(
    "rotating the signing key keeps the old public key published and restarts auth-api",
    async () => {
      const { ns, apps, secrets, deploy } = await deployed("rotate");
      const oldKey = JSON.parse(secrets.JWT_SIGNING_KEY!) as { kid: string; x: string };
      const checksum = async () =>
        (
          (await api.get(`${apps}/deployments/auth-api`))!.spec as {
            template: { metadata: { annotations: Record<string, string> } };
          }
        ).template.metadata.annotations["checksum/secrets"];
      const before = await checksum();
      const run = await deploy("v1", { env: { JWT_SIGNING_KEY: await signingKey() } });
      expect(run.exitCode, run.output).toBe(0);
      const data = (await api.get(`${ns}/secrets/auth-api-jwt`))?.data as Record<string, string>;
      const previous = JSON.parse(Buffer.from(data.JWT_PREVIOUS_PUBLIC_KEYS!, "base64").toString()) as Array<
        Record<string, string>
      >;
      expect(previous).toEqual([expect.objectContaining({ kid: oldKey.kid, x: oldKey.x, kty: "OKP", crv: "Ed25519" })]);
      expect(previous[0]).not.toHaveProperty("d");
      expect(await checksum()).not.toBe(before);
    },
    slow,
  );

  test(
    "a signing key whose d does not match x is refused before anything is applied: no Secret is replaced",
    async () => {
      const { ns, apps, secrets, deploy, images } = baseline;
      const versions = async () =>
        Object.fromEntries(
          [...(await api.list(`${ns}/secrets`)), ...(await api.list(`${apps}/deployments`))].map((object) => [
            `${object.kind}/${object.metadata.name}`,
            object.metadata.resourceVersion,
          ]),
        );
      const before = await versions();
      const otherKey = JSON.parse(await signingKey()) as { d: string };
      const mismatched = JSON.stringify({ ...JSON.parse(secrets.JWT_SIGNING_KEY!), d: otherKey.d });
      // A new INTERNAL_TOKEN and image tag too: had anything been applied, its Secret and the Deployments would change.
      const run = await deploy("v3", {
        env: { JWT_SIGNING_KEY: mismatched, INTERNAL_TOKEN: generateInternalToken() },
      });
      expect(run.exitCode, run.output).toBe(2);
      expect(run.output).toContain("error: JWT_SIGNING_KEY: not a usable Ed25519 key pair (d must match x)");
      expect(run.output).toContain("nothing was applied");
      expect(run.output).not.toContain(otherKey.d);
      expect(await versions()).toEqual(before);
      expect(Object.values(await images()).every((image) => image.endsWith(":v1"))).toBe(true);
    },
    slow,
  );

  test(
    "an object removed from the manifests is pruned; objects that are not ours are left alone",
    async () => {
      const { namespace, ns, deploy } = await deployed("prune");
      const foreign = {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "not-ours", namespace, labels: { "app.kubernetes.io/part-of": "accounts" } },
      };
      await api.create(`${ns}/configmaps`, foreign);
      const planned = await deploy("v1", { omit: ["PodDisruptionBudget/users-api"], extra: ["--dry-run"] });
      expect(planned.exitCode, planned.output).toBe(0);
      expect(planned.output).toMatch(/PodDisruptionBudget .*\/users-api: would be pruned/);
      expect(planned.output).not.toContain("not-ours");
      expect(await api.get(`/apis/policy/v1/namespaces/${namespace}/poddisruptionbudgets/users-api`)).toBeDefined();

      const run = await deploy("v1", { omit: ["PodDisruptionBudget/users-api"] });
      expect(run.exitCode, run.output).toBe(0);
      expect(run.output).toMatch(/PodDisruptionBudget .*\/users-api: pruned/);
      expect(await api.get(`/apis/policy/v1/namespaces/${namespace}/poddisruptionbudgets/users-api`)).toBeUndefined();
      expect(await api.get(`/apis/policy/v1/namespaces/${namespace}/poddisruptionbudgets/auth-api`)).toBeDefined();
      expect(await api.get(`${ns}/configmaps/not-ours`)).toBeDefined();
      expect(run.output).not.toContain("not-ours");
    },
    slow,
  );

  test(
    "a rollout that never becomes available times out, shows why, rolls back and exits non-zero",
    async () => {
      const { namespace, ns, apps, deploy, images } = await deployed("rollback");
      // Events as the controllers would record them.
      const warn = (
        involvedObject: { kind: string; name: string; apiVersion: string },
        reason: string,
        message: string,
      ) =>
        api.create(`${ns}/events`, {
          metadata: { name: `${involvedObject.name}.test`, namespace },
          involvedObject: { ...involvedObject, namespace },
          reason,
          message,
          type: "Warning",
        });
      await warn(
        { kind: "Deployment", name: "users-api", apiVersion: "apps/v1" },
        "FailedCreate",
        "simulated: exceeded quota",
      );
      // A pod as the ReplicaSet controller would create it: never scheduled here, so it has no logs to show.
      const template = (
        (await api.get(`${apps}/deployments/users-api`))!.spec as { template: { metadata: object; spec: object } }
      ).template;
      await api.create(`${ns}/pods`, {
        metadata: { ...template.metadata, name: "users-api-simulated", namespace },
        spec: template.spec,
      });
      await warn(
        { kind: "Pod", name: "users-api-simulated", apiVersion: "v1" },
        "BackOff",
        "simulated: Back-off restarting failed container",
      );
      const run = await deploy("broken-v3", { extra: ["--timeout", "15s"] });
      expect(run.exitCode, run.output).toBe(1);
      expect(run.output).toMatch(/Deployment .*\/users-api: not rolled out within the 15 s timeout/);
      expect(run.output).toMatch(/Deployment .*\/users-api: 0 of 1 updated replicas available/);
      expect(run.output).toContain("    event Warning FailedCreate: simulated: exceeded quota");
      expect(run.output).toContain("    pod users-api-simulated: Pending");
      expect(run.output).toContain("    event Warning BackOff: simulated: Back-off restarting failed container");
      // Unscheduled, the pod has no log yet: the API server answers with an empty one.
      expect(run.output).toContain("      last log lines of users-api:\n        (empty)");
      expect(run.output).toContain("rolling back to image tag v1");
      expect(run.output).toContain("rolled back to image tag v1; the deploy of broken-v3 failed");
      expect(Object.values(await images()).every((image) => image.endsWith(":v1"))).toBe(true);
    },
    slow,
  );
});

describe.skipIf(!cluster)("deploy refuses before applying anything", () => {
  const api = clusterApi(cluster!);

  test(
    "a missing secret stops the deploy, naming it, before anything is applied",
    async () => {
      const namespace = `deploy-nosecret-${Date.now().toString(36)}`;
      const { MONGO_INITDB_ROOT_PASSWORD: _, ...incomplete } = await secretInputs();
      const run = await runDeploy(["dev", "--image-tag", "v1", "--kubeconfig", cluster!.kubeconfigPath], {
        namespace,
        env: incomplete,
      });
      expect(run.exitCode, run.output).toBe(2);
      expect(run.output).toContain("missing secret MONGO_INITDB_ROOT_PASSWORD");
      expect(run.output).toContain("nothing was applied");
      expect(await api.get(`/api/v1/namespaces/${namespace}`)).toBeUndefined();
    },
    slow,
  );

  test(
    "TLS: the harness CA connects, any other CA fails",
    async () => {
      const namespace = `deploy-tls-${Date.now().toString(36)}`;
      const env = await secretInputs();
      const trusted = await runDeploy(
        ["dev", "--image-tag", "v1", "--kubeconfig", cluster!.kubeconfigPath, "--dry-run"],
        { namespace, env },
      );
      expect(trusted.exitCode, trusted.output).toBe(0);
      expect(trusted.output).toContain("dry-run: nothing was changed");

      const otherCa = Buffer.from((await createTestPki()).caPem).toString("base64");
      const wrongKubeconfig = join(tmpdir(), `wrong-ca-${namespace}.yaml`);
      writeFileSync(
        wrongKubeconfig,
        cluster!.kubeconfig.replace(/certificate-authority-data: \S+/, `certificate-authority-data: ${otherCa}`),
      );
      const untrusted = await runDeploy(["dev", "--image-tag", "v1", "--kubeconfig", wrongKubeconfig, "--dry-run"], {
        namespace,
        env,
      });
      expect(untrusted.exitCode, untrusted.output).toBe(1);
      expect(untrusted.output).toMatch(/certificate|self.signed|unable to verify/i);
      expect(await api.get(`/api/v1/namespaces/${namespace}`)).toBeUndefined();
    },
    slow,
  );
});
