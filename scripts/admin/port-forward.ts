// `bun run admin --eks-cluster … | --kubeconfig …`: the admin Service reached without exposing it, through the
// API server (as `kubectl port-forward` does), to one ready users-api pod.
import { createServer, type Server } from "node:net";
import { namespace, ports, selectorLabels, workloadNames } from "@accounts/k8s";
import { type KubeConfig, PortForward } from "@kubernetes/client-node";
import { kubeClient } from "../deploy/kube.ts";
import type { KubeObject } from "../deploy/objects.ts";

const isReady = (pod: KubeObject) =>
  (pod.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions?.some(
    (condition) => condition.type === "Ready" && condition.status === "True",
  ) === true;

/** A ready users-api pod's name: the pods the admin Service selects. */
export async function readyUsersApiPod(kubeConfig: KubeConfig): Promise<string> {
  const labelSelector = Object.entries(selectorLabels(workloadNames.usersApi))
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
  const pods = await kubeClient(kubeConfig).list("v1", "Pod", { namespace, labelSelector });
  const ready = pods.find(isReady);
  if (!ready) throw new Error(`no ready ${workloadNames.usersApi} pod in namespace ${namespace}`);
  return ready.metadata.name;
}

/** A local port (127.0.0.1 only) whose connections reach ADMIN_PORT of `pod`; close the server when done. */
export async function forwardAdminPort(kubeConfig: KubeConfig, pod: string): Promise<{ url: string; server: Server }> {
  const forward = new PortForward(kubeConfig);
  const server = createServer((socket) => {
    forward.portForward(namespace, pod, [ports.usersApiAdmin], socket, null, socket).catch(() => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, server };
}
