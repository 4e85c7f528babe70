// `bun run admin --kubeconfig …` against a real kube-apiserver (scripts/testing), under Node as the script runs: the
// manifests' own ServiceAccount, users-api Deployment and admin Service applied to a namespace of each test's own. No
// kubelet runs there, so no pod ever becomes ready by itself: the tests create pods from the Deployment's template and
// write their status through the /status subresource, as a kubelet would. The byte stream through a kubelet to
// users-api's listener is the one thing left untested here (it needs a node).
import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { synthManifests, usersApiAdminServiceName } from "@accounts/k8s";
import { freePort, runUnderNode } from "../lib/processes.ts";
import type { KubeObject } from "../deploy/objects.ts";
import { canRunCli, clusterApi } from "../deploy/testing/cluster.ts";
import { kubeTestServer } from "../testing/kube-apiserver.ts";

const cluster = canRunCli ? await kubeTestServer() : undefined;
const adminToken = "admin-token-for-tests-only-0123456789abcdef";
// Each run spawns Node; a forward that hung would be killed here and fail the test, not the suite's timeout.
const runLimitMs = 45_000;

interface AdminRun {
  exitCode: number;
  output: string;
  ms: number;
}

async function runAdmin(args: string[], namespace: string, env: Record<string, string> = {}): Promise<AdminRun> {
  const run = await runUnderNode(
    join(import.meta.dir, "testing/admin-cli.ts"),
    args,
    { ADMIN_TEST_NAMESPACE: namespace, ...env },
    runLimitMs,
  );
  return { exitCode: run.exitCode, output: run.stdout + run.stderr, ms: run.ms };
}

describe.skipIf(!cluster)("bun run admin through a port-forward (against a real kube-apiserver)", () => {
  const api = clusterApi(cluster!);
  const suite = Date.now().toString(36);
  let namespaces = 0;
  const outputs: string[] = [];
  const secretFree = (run: AdminRun) => {
    outputs.push(run.output);
    expect(run.output).not.toContain(cluster!.token);
    expect(run.output).not.toContain(adminToken);
  };
  const manifests = synthManifests("dev", { imageTag: "v1" });

  /**
   * A namespace of the test's own, so no test sees another's Service or pods (namespaces cannot be deleted in the test
   * API server, so each name is new), and what the test does there: run the admin command, apply the manifests the
   * command needs, create pods as a ReplicaSet and a kubelet would.
   */
  function ownNamespace() {
    const namespace = `admin-${suite}-${++namespaces}`;
    const ns = `/api/v1/namespaces/${namespace}`;
    const service = `${namespace}/${usersApiAdminServiceName}`;
    const admin = (env: Record<string, string> = { ADMIN_TOKEN: adminToken }) =>
      runAdmin(["users", "show", "some-user-id", "--kubeconfig", cluster!.kubeconfigPath], namespace, env);
    const manifest = (kind: string, name: string) => {
      const found = manifests.find((object) => object.kind === kind && object.metadata.name === name);
      if (!found) throw new Error(`the manifests have no ${kind} ${name}`);
      return { ...found, metadata: { ...found.metadata, namespace } } as KubeObject;
    };
    const deployment = manifest("Deployment", "users-api");
    const template = (deployment.spec as { template: { metadata: { labels: Record<string, string> }; spec: object } })
      .template;

    const create = () =>
      api.create("/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
    /** This namespace, and in it the manifests' users-api ServiceAccount and Deployment and the admin Service. */
    async function applyManifests() {
      await create();
      await api.create(`${ns}/serviceaccounts`, manifest("ServiceAccount", "users-api"));
      await api.create(`/apis/apps/v1/namespaces/${namespace}/deployments`, deployment);
      await api.create(`${ns}/services`, manifest("Service", usersApiAdminServiceName));
    }
    /** A users-api pod as its ReplicaSet would create it, and a kubelet's status for it. */
    async function createPod(name: string, ready: boolean, spec: Record<string, unknown> = {}) {
      await api.create(`${ns}/pods`, {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, namespace, labels: template.metadata.labels },
        spec: { ...template.spec, ...spec },
      });
      const { status, body } = await api.call(
        "PATCH",
        `${ns}/pods/${name}/status`,
        {
          status: {
            phase: ready ? "Running" : "Pending",
            podIP: ready ? "10.0.0.7" : undefined,
            conditions: [
              { type: "Ready", status: ready ? "True" : "False", lastTransitionTime: new Date().toISOString() },
            ],
          },
        },
        "application/merge-patch+json",
      );
      if (status !== 200) throw new Error(`PATCH ${name}/status: ${status} ${JSON.stringify(body)}`);
    }
    return { namespace, service, admin, create, applyManifests, createPod };
  }

  afterAll(() => {
    if (outputs.length) console.log(`--- admin command outputs ---\n${outputs.join("\n---\n")}`);
  });

  test("without ADMIN_TOKEN it asks for it, before reaching the cluster", async () => {
    const run = await ownNamespace().admin({});
    secretFree(run);
    expect(run.exitCode).toBe(2);
    expect(run.output).toContain("ADMIN_TOKEN is not set");
  });

  test("a namespace without the admin Service: it says which Service it looked for", async () => {
    const { namespace, service, admin, create } = ownNamespace();
    await create();
    const run = await admin();
    secretFree(run);
    expect(run.exitCode).toBe(1);
    expect(run.output).toContain(`error: no Service ${service}: is the system deployed to namespace ${namespace}?`);
  });

  test("the manifests applied but no pod: it names the Service and its selector and says no pod is ready", async () => {
    const { service, admin, applyManifests } = ownNamespace();
    await applyManifests();
    const run = await admin();
    secretFree(run);
    expect(run.exitCode).toBe(1);
    expect(run.output).toContain(
      `error: no pod behind the Service ${service} is ready (selector app.kubernetes.io/name=users-api): no pod matches`,
    );
  });

  test("a pod that is not ready is not picked, and is named", async () => {
    const { service, admin, applyManifests, createPod } = ownNamespace();
    await applyManifests();
    await createPod("users-api-pending", false);
    const run = await admin();
    secretFree(run);
    expect(run.exitCode).toBe(1);
    expect(run.output).toContain(`error: no pod behind the Service ${service} is ready`);
    expect(run.output).toContain("users-api-pending: Pending, not ready");
  });

  test(
    "a ready pod on no node: it picks that pod and reports the API server's refusal of the forward",
    async () => {
      const { namespace, admin, applyManifests, createPod } = ownNamespace();
      await applyManifests();
      await createPod("users-api-pending", false);
      await createPod("users-api-unscheduled", true);
      const run = await admin();
      secretFree(run);
      expect(run.exitCode, run.output).toBe(1);
      expect(run.output).toContain(
        `error: the port-forward to pod ${namespace}/users-api-unscheduled port 3002 failed: the API server answered 400`,
      );
      expect(run.output).toContain("does not have a host assigned");
      expect(run.ms).toBeLessThan(runLimitMs);
    },
    runLimitMs + 5000,
  );

  test(
    "a ready pod on a node whose kubelet does not answer: the forward fails with the API server's reason, no hang",
    async () => {
      const { namespace, admin, applyManifests, createPod } = ownNamespace();
      await applyManifests();
      const node = `${namespace}-node`;
      const kubeletPort = freePort(); // nothing listens there
      await api.create("/api/v1/nodes", { apiVersion: "v1", kind: "Node", metadata: { name: node } });
      const { status } = await api.call(
        "PATCH",
        `/api/v1/nodes/${node}/status`,
        {
          status: {
            addresses: [{ type: "InternalIP", address: "127.0.0.1" }],
            daemonEndpoints: { kubeletEndpoint: { Port: kubeletPort } },
          },
        },
        "application/merge-patch+json",
      );
      expect(status).toBe(200);
      await createPod("users-api-pending", false);
      await createPod("users-api-on-node", true, { nodeName: node });
      const run = await admin();
      secretFree(run);
      expect(run.exitCode, run.output).toBe(1);
      expect(run.output).toContain(`error: the port-forward to pod ${namespace}/users-api-on-node port 3002 failed:`);
      expect(run.output).toContain(`127.0.0.1:${kubeletPort}`);
      expect(run.ms).toBeLessThan(runLimitMs);
    },
    runLimitMs + 5000,
  );
});

describe.skipIf(!canRunCli)("bun run admin's cluster flags", () => {
  test("a kubeconfig that is not one: the error quotes none of it", async () => {
    const secret = "eyJhbGciOiJSUzI1NiJ9.not-a-real-token";
    const path = join(tmpdir(), `admin-bad-kubeconfig-${process.pid}.yaml`);
    writeFileSync(path, `users:\n- name: x\n  user:\n    token: ${secret}\n  : [unbalanced\n`, { mode: 0o600 });
    const run = await runAdmin(["users", "show", "x", "--kubeconfig", path], "unused", { ADMIN_TOKEN: adminToken });
    expect(run.exitCode).toBe(1);
    expect(run.output).toContain(`error: could not load the kubeconfig ${path}: not a valid kubeconfig file`);
    expect(run.output).not.toContain(secret);
    expect(run.output).not.toContain(adminToken);
  });

  test("--eks-cluster and --kubeconfig together: a usage error", async () => {
    const run = await runAdmin(["users", "show", "x", "--eks-cluster", "c", "--kubeconfig", "k"], "unused", {
      ADMIN_TOKEN: adminToken,
    });
    expect(run.exitCode).toBe(2);
    expect(run.output).toContain("error: name the cluster with either --eks-cluster or --kubeconfig");
  });
});
