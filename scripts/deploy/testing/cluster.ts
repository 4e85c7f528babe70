// Test-side access to the local API server (Bun's fetch verifies against the harness CA), the deploy CLI as a
// child process under Node, and stand-ins for the controllers this API server does not run.
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { generateSigningKey } from "@accounts/auth-api/keys/generate";
import { generateEncryptionKey, generateInternalToken } from "@accounts/shared/secrets";
import { runUnderNode } from "../../lib/processes.ts";
import type { KubeTestServer } from "../../testing/kube-apiserver.ts";
import type { KubeObject } from "../objects.ts";

/** The deploy tool runs under Node; without it (and outside CI, where it must run) its tests skip, saying why. */
export const canRunCli = Bun.which("node") !== null || !!process.env.CI;
if (!canRunCli)
  console.warn(
    "skipping the deploy tool's tests: Node is not on PATH (the tool runs under Node, see docs/operations.md)",
  );

export function clusterApi(cluster: KubeTestServer) {
  async function call<T = KubeObject>(
    method: string,
    path: string,
    body?: unknown,
    contentType = "application/json",
  ): Promise<{ status: number; body: T }> {
    const response = await fetch(`${cluster.server}${path}`, {
      method,
      tls: { ca: cluster.caPem },
      headers: {
        authorization: `Bearer ${cluster.token}`,
        accept: "application/json",
        ...(body !== undefined && { "content-type": contentType }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as T };
  }
  return {
    call,
    async get<T = KubeObject>(path: string): Promise<T | undefined> {
      const { status, body } = await call<T>("GET", path);
      if (status === 404) return undefined;
      if (status !== 200) throw new Error(`GET ${path}: ${status} ${JSON.stringify(body)}`);
      return body;
    },
    async list(path: string): Promise<KubeObject[]> {
      const { status, body } = await call<{ items: KubeObject[] }>("GET", path);
      if (status !== 200) throw new Error(`GET ${path}: ${status} ${JSON.stringify(body)}`);
      return body.items;
    },
    async create(path: string, object: unknown): Promise<KubeObject> {
      const { status, body } = await call("POST", path, object);
      if (status !== 201) throw new Error(`POST ${path}: ${status} ${JSON.stringify(body)}`);
      return body;
    },
  };
}

export type ClusterApi = ReturnType<typeof clusterApi>;

/** Fresh secret inputs, as `generate-secrets` would write them (with auth-api's and shared's own generators). */
export async function secretInputs(): Promise<Record<string, string>> {
  return {
    JWT_SIGNING_KEY: await signingKey(),
    INTERNAL_TOKEN: generateInternalToken(),
    MONGO_INITDB_ROOT_USERNAME: "root",
    MONGO_INITDB_ROOT_PASSWORD: randomBytes(24).toString("base64url"),
    MONGODB_URI: Object.assign(new URL("mongodb://db.example.com/accounts"), {
      username: "app",
      password: randomBytes(12).toString("hex"),
    }).href,
    SMTP_URL: `smtps://mailer:${randomBytes(12).toString("hex")}@smtp.example.com:465`,
    MFA_ENCRYPTION_KEY: generateEncryptionKey(),
    ADMIN_TOKEN: generateInternalToken(),
  };
}

/** A fresh JWT_SIGNING_KEY value. */
export const signingKey = async (): Promise<string> => JSON.stringify((await generateSigningKey()).privateJwk);

export interface DeployRun {
  exitCode: number;
  output: string;
}

/** Runs `scripts/deploy/testing/deploy-cli.ts` under Node through tsx, as `bun run deploy` does. */
export async function runDeploy(
  args: string[],
  options: { namespace: string; env: Record<string, string>; omit?: string[] },
): Promise<DeployRun> {
  const { exitCode, stdout, stderr } = await runUnderNode(join(import.meta.dir, "deploy-cli.ts"), args, {
    DEPLOY_TEST_NAMESPACE: options.namespace,
    DEPLOY_TEST_OMIT: (options.omit ?? []).join(","),
    ...options.env,
  });
  return { exitCode, output: stdout + stderr };
}

/**
 * Plays the Deployment and StatefulSet controllers: whenever a workload's generation moves, it writes the status a
 * controller would through the /status subresource. Pods whose image tag starts with "broken" never become
 * available, as when a new image crashes on start.
 */
export function simulateControllers(api: ClusterApi, namespace: string): { stop: () => Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const resource of ["deployments", "statefulsets"]) {
        for (const workload of await api.list(`/apis/apps/v1/namespaces/${namespace}/${resource}`)) {
          const generation = workload.metadata.generation as number;
          const status = (workload.status ?? {}) as { observedGeneration?: number };
          if (status.observedGeneration === generation) continue;
          await api.call(
            "PATCH",
            `/apis/apps/v1/namespaces/${namespace}/${resource}/${workload.metadata.name}/status`,
            {
              status: simulatedStatus(workload),
            },
            "application/merge-patch+json",
          );
        }
      }
      await Bun.sleep(200);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}

function simulatedStatus(workload: KubeObject): Record<string, unknown> {
  const spec = workload.spec as { replicas?: number; template: { spec: { containers: Array<{ image: string }> } } };
  const replicas = spec.replicas ?? 1;
  const broken = spec.template.spec.containers.some((container) => /:broken[^/]*$/.test(container.image));
  const available = broken ? 0 : replicas;
  const observedGeneration = workload.metadata.generation;
  if (workload.kind === "StatefulSet") {
    const revision = `${workload.metadata.name}-${observedGeneration}`;
    return {
      observedGeneration,
      replicas,
      readyReplicas: available,
      updatedReplicas: replicas,
      currentRevision: revision,
      updateRevision: revision,
    };
  }
  return {
    observedGeneration,
    replicas,
    updatedReplicas: replicas,
    readyReplicas: available,
    availableReplicas: available,
    ...(broken ? { unavailableReplicas: replicas } : {}),
    conditions: [
      {
        type: "Available",
        status: broken ? "False" : "True",
        reason: broken ? "MinimumReplicasUnavailable" : "MinimumReplicasAvailable",
      },
      { type: "Progressing", status: "True", reason: broken ? "ReplicaSetUpdated" : "NewReplicaSetAvailable" },
    ],
  };
}
