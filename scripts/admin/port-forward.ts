// `bun run admin --eks-cluster … | --kubeconfig …`: the admin Service reached without exposing it, through the
// API server (as `kubectl port-forward svc/users-api-admin` does): the Service's selector and target port name a
// ready pod, and each local connection becomes one port-forward WebSocket to that pod's admin port.
import { createServer, type Socket } from "node:net";
import { Writable } from "node:stream";
import { namespace as deployedNamespace, usersApiAdminServiceName } from "@accounts/k8s";
import { type KubeConfig, PortForward } from "@kubernetes/client-node";
import WebSocket from "ws";
import { type Kube, kubeClient } from "../deploy/kube.ts";
import type { KubeObject } from "../deploy/objects.ts";

/** The port-forward could not be set up or broke: its message names the namespace, Service or pod. */
export class ForwardError extends Error {}

/** How long the API server (and the kubelet behind it) may take to accept a forward before we give up. */
const handshakeTimeoutMs = 30_000;

/** The binary channel protocol of the kubelet's port-forward (client-node offers it among others). */
const channelProtocols = ["v4.channel.k8s.io"];

interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
}

interface PodFields {
  spec?: { containers?: { ports?: { name?: string; containerPort: number }[] }[] };
  status?: { phase?: string; podIP?: string; conditions?: { type: string; status: string }[] };
}

const isReady = (pod: KubeObject & PodFields) =>
  !pod.metadata.deletionTimestamp &&
  pod.status?.phase === "Running" &&
  !!pod.status.podIP &&
  pod.status.conditions?.some((condition) => condition.type === "Ready" && condition.status === "True") === true;

/** Why a pod is not picked, for the message that says none is ready. */
const notReadyBecause = (pod: KubeObject & PodFields) =>
  pod.metadata.deletionTimestamp ? "terminating" : `${pod.status?.phase ?? "no status"}, not ready`;

/** A ready pod behind the admin Service and the pod port its target port names, found as the Service finds it. */
export async function findAdminPod(kube: Kube, namespace: string): Promise<{ pod: string; port: number }> {
  const service = `${namespace}/${usersApiAdminServiceName}`;
  const found = await kube.get({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: usersApiAdminServiceName, namespace },
  });
  if (!found) throw new ForwardError(`no Service ${service}: is the system deployed to namespace ${namespace}?`);
  const spec = found.spec as { selector?: Record<string, string>; ports?: ServicePort[] };
  const selector = Object.entries(spec.selector ?? {});
  if (selector.length === 0) throw new ForwardError(`the Service ${service} has no selector: it names no pods`);
  const servicePort = spec.ports?.find((port) => port.name === "admin") ?? spec.ports?.[0];
  if (!servicePort) throw new ForwardError(`the Service ${service} has no port`);

  const labelSelector = selector.map(([key, value]) => `${key}=${value}`).join(",");
  const pods = (await kube.list("v1", "Pod", { namespace, labelSelector })) as (KubeObject & PodFields)[];
  const ready = pods.filter(isReady).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  if (ready.length === 0) {
    const seen = pods.map((pod) => `${pod.metadata.name}: ${notReadyBecause(pod)}`).join("; ");
    throw new ForwardError(
      `no pod behind the Service ${service} is ready (selector ${labelSelector}): ${pods.length === 0 ? "no pod matches" : seen}`,
    );
  }
  const pod = ready[0]!;
  const target = servicePort.targetPort ?? servicePort.port;
  if (typeof target === "number") return { pod: pod.metadata.name, port: target };
  // A named target port: the container port of that name, as the endpoints controller resolves it.
  const port = pod.spec?.containers
    ?.flatMap((container) => container.ports ?? [])
    .find((containerPort) => containerPort.name === target)?.containerPort;
  if (port === undefined)
    throw new ForwardError(`pod ${namespace}/${pod.metadata.name} has no container port named ${target}`);
  return { pod: pod.metadata.name, port };
}

export interface AdminForward {
  /** http://127.0.0.1:<local port> */
  url: string;
  namespace: string;
  pod: string;
  /** The first forward that failed, if one did: why a request through `url` found no answer. */
  failure(): ForwardError | undefined;
  /** Stops listening and ends every connection and WebSocket, so the process can exit. */
  close(): void;
}

/**
 * A local port (127.0.0.1 only) whose connections reach the admin port of a ready pod behind the admin Service.
 * `kubeConfig` comes from the deploy tool's connection code (scripts/deploy/connect.ts): the same CA check and
 * credentials (EKS tokens included) sign both the API requests and the WebSocket upgrades.
 */
export async function openAdminForward(
  kubeConfig: KubeConfig,
  options: { namespace?: string } = {},
): Promise<AdminForward> {
  const namespace = options.namespace ?? deployedNamespace;
  // kubeClient refuses http:// and skipped TLS checks before anything is sent; the WebSocket goes to the same server.
  const { pod, port } = await findAdminPod(kubeClient(kubeConfig), namespace);
  const where = `pod ${namespace}/${pod} port ${port}`;

  const sockets = new Set<Socket>();
  const webSockets = new Set<WebSocket>();
  let failure: ForwardError | undefined;
  // client-node's PortForward speaks the port-forward channels over this; its own WebSocketHandler would hide the
  // API server's reason for a refusal ("Unexpected server response: 400"), wait without limit, and is not exported.
  const server = kubeConfig
    .getCurrentCluster()!
    .server.replace(/^https:/, "wss:")
    .replace(/\/$/, "");
  const webSocketOpener = {
    async connect(
      path: string,
      _textHandler: unknown,
      binaryHandler: ((stream: number, buffer: Buffer) => boolean) | null,
    ): Promise<WebSocket> {
      const options: WebSocket.ClientOptions = { handshakeTimeout: handshakeTimeoutMs };
      // The CA, client certificate or bearer token (the EKS authenticator's too) and proxy of every API request.
      await kubeConfig.applyToHTTPSOptions(options);
      return new Promise((resolve, reject) => {
        const webSocket = new WebSocket(`${server}${path}`, channelProtocols, options);
        webSockets.add(webSocket);
        webSocket.on("close", () => webSockets.delete(webSocket));
        webSocket.on("error", reject); // before "open" only: a later error also closes it, which ends the connection
        webSocket.once("open", () => resolve(webSocket));
        webSocket.on("unexpected-response", (_request, response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let message = text.slice(0, 300);
            try {
              message = (JSON.parse(text) as { message?: string }).message ?? message;
            } catch {
              // not a Status object: keep the text
            }
            reject(new Error(`the API server answered ${response.statusCode}: ${message}`));
            webSocket.terminate();
          });
        });
        webSocket.on("message", (data: Buffer, isBinary) => {
          if (isBinary && data.length > 0 && binaryHandler && !binaryHandler(data.readUInt8(0), data.subarray(1)))
            webSocket.close();
        });
      });
    },
  };
  const forward = new PortForward(kubeConfig, true, webSocketOpener);

  const listener = createServer((socket) => {
    sockets.add(socket);
    let webSocket: WebSocket | undefined;
    const fail = (why: string) => {
      failure ??= new ForwardError(`the port-forward to ${where} failed: ${why}`);
      socket.destroy();
      webSocket?.terminate();
    };
    socket.on("error", () => {});
    socket.on("close", () => {
      sockets.delete(socket);
      webSocket?.close();
    });
    // The kubelet reports a failed connection to the pod's port on the error channel, then closes. Its first frame
    // there holds only the port number, which client-node strips and passes on as an empty buffer: not an error.
    const errors = new Writable({
      write(chunk: Buffer, _encoding, done) {
        if (chunk.length > 0) fail(chunk.toString("utf8").trim());
        done();
      },
    });
    forward.portForward(namespace, pod, [port], socket, errors, socket).then(
      (opened) => {
        webSocket = opened as WebSocket;
        if (socket.destroyed) webSocket.close();
        // The pod closed its end (or the API server dropped us): end ours, after what was received.
        webSocket.on("close", () => socket.end());
      },
      (error: Error) => fail(error.message),
    );
  });
  await new Promise<void>((resolve, reject) => {
    listener.once("error", reject);
    listener.listen(0, "127.0.0.1", resolve);
  });
  const { port: localPort } = listener.address() as { port: number };
  return {
    url: `http://127.0.0.1:${localPort}`,
    namespace,
    pod,
    failure: () => failure,
    close() {
      listener.close();
      for (const socket of sockets) socket.destroy();
      for (const webSocket of webSockets) webSocket.terminate();
    },
  };
}
