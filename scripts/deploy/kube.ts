// JSON over node:https with client-node's KubeConfig supplying the server, CA, credentials and proxy. client-node's
// own object API round-trips bodies through its generated models, which drops any field they do not know; a deploy
// tool must send and compare exactly what the manifests say, so requests and responses stay plain JSON here.
import { request } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";
import type { KubeObject } from "./objects.ts";

export class KubeError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

interface Resource {
  plural: string;
  namespaced: boolean;
}

type Query = Record<string, string | number | undefined>;

export type Kube = ReturnType<typeof kubeClient>;

export function kubeClient(kubeConfig: KubeConfig) {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error("the kubeconfig has no current cluster");
  if (cluster.skipTLSVerify)
    throw new Error(`refusing to talk to ${cluster.server} without verifying its TLS certificate`);
  if (!cluster.server.startsWith("https://")) throw new Error(`refusing ${cluster.server}: only https:// API servers`);
  const server = new URL(cluster.server);
  const basePath = server.pathname.replace(/\/$/, "");
  const discovered = new Map<string, Promise<Map<string, Resource>>>();

  async function call<T>(
    method: string,
    path: string,
    options: { query?: Query; body?: unknown; contentType?: string; text?: boolean } = {},
  ): Promise<T> {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(options.query ?? {}))
      if (value !== undefined) search.set(key, String(value));
    const httpsOptions: Parameters<KubeConfig["applyToHTTPSOptions"]>[0] = {
      method,
      hostname: server.hostname,
      port: server.port || 443,
      path: `${basePath}${path}${search.size ? `?${search}` : ""}`,
      headers: { accept: "application/json" },
      timeout: 60_000,
    };
    // Fills in the CA, client certificates and the Authorization header (including our EKS authenticator).
    await kubeConfig.applyToHTTPSOptions(httpsOptions);
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    if (payload !== undefined) {
      (httpsOptions.headers as Record<string, string>)["content-type"] = options.contentType ?? "application/json";
    }
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(httpsOptions, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      });
      req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer from the API server within 60 s`)));
      req.on("error", reject);
      req.end(payload);
    });
    if (status >= 200 && status < 300) return (options.text || !text ? text : JSON.parse(text)) as T;
    let reason = "Unknown";
    let message = text.slice(0, 500);
    try {
      const body = JSON.parse(text) as { reason?: string; message?: string };
      reason = body.reason ?? reason;
      message = body.message ?? message;
    } catch {
      // not a Status object (e.g. a proxy's error page): keep the text
    }
    throw new KubeError(status, reason, `${method} ${path}: ${status} ${message}`);
  }

  function resources(apiVersion: string): Promise<Map<string, Resource>> {
    let found = discovered.get(apiVersion);
    if (!found) {
      found = call<{ resources: Array<{ name: string; kind: string; namespaced: boolean }> }>(
        "GET",
        apiVersion === "v1" ? "/api/v1" : `/apis/${apiVersion}`,
      ).then(({ resources }) => {
        const byKind = new Map<string, Resource>();
        for (const resource of resources) {
          if (!resource.name.includes("/"))
            byKind.set(resource.kind, { plural: resource.name, namespaced: resource.namespaced });
        }
        return byKind;
      });
      found.catch(() => discovered.delete(apiVersion));
      discovered.set(apiVersion, found);
    }
    return found;
  }

  async function collectionPath(
    apiVersion: string,
    kind: string,
    namespace?: string,
  ): Promise<{ path: string; namespaced: boolean }> {
    const resource = (await resources(apiVersion)).get(kind);
    if (!resource) throw new Error(`the API server does not serve ${kind} in ${apiVersion}`);
    const root = apiVersion === "v1" ? "/api/v1" : `/apis/${apiVersion}`;
    if (!resource.namespaced) return { path: `${root}/${resource.plural}`, namespaced: false };
    if (!namespace) throw new Error(`${kind} is namespaced: a namespace is needed`);
    return { path: `${root}/namespaces/${namespace}/${resource.plural}`, namespaced: true };
  }

  const objectPath = async (object: Pick<KubeObject, "apiVersion" | "kind" | "metadata">) =>
    `${(await collectionPath(object.apiVersion, object.kind, object.metadata.namespace)).path}/${object.metadata.name}`;

  return {
    collectionPath,

    /** The version the server prefers for an API group ("" is the core group). */
    async preferredApiVersion(group: string): Promise<string> {
      if (group === "") return "v1";
      const found = await call<{ preferredVersion: { groupVersion: string } }>("GET", `/apis/${group}`);
      return found.preferredVersion.groupVersion;
    },

    /** The live object, or undefined when it does not exist. */
    async get(object: Pick<KubeObject, "apiVersion" | "kind" | "metadata">): Promise<KubeObject | undefined> {
      try {
        return await call<KubeObject>("GET", await objectPath(object));
      } catch (error) {
        if (error instanceof KubeError && error.status === 404) return undefined;
        throw error;
      }
    },

    async list(
      apiVersion: string,
      kind: string,
      options: { namespace?: string; labelSelector?: string; fieldSelector?: string },
    ) {
      const { path } = await collectionPath(apiVersion, kind, options.namespace);
      const list = await call<{ items: KubeObject[] }>("GET", path, {
        query: { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector },
      });
      // Lists leave out each item's apiVersion and kind.
      return list.items.map((item) => ({ ...item, apiVersion, kind }) as KubeObject);
    },

    /** Server-side apply; `force` takes over fields another manager set, as the owner of the desired state must. */
    async apply(object: KubeObject, options: { fieldManager: string; dryRun: boolean }): Promise<KubeObject> {
      return call<KubeObject>("PATCH", await objectPath(object), {
        body: object,
        contentType: "application/apply-patch+yaml",
        query: { fieldManager: options.fieldManager, force: "true", dryRun: options.dryRun ? "All" : undefined },
      });
    },

    async delete(
      object: Pick<KubeObject, "apiVersion" | "kind" | "metadata">,
      options: { dryRun: boolean },
    ): Promise<void> {
      await call("DELETE", await objectPath(object), {
        body: { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy: "Background" },
        query: { dryRun: options.dryRun ? "All" : undefined },
      });
    },

    async podLogTail(namespace: string, pod: string, container: string, lines: number): Promise<string> {
      return call<string>("GET", `/api/v1/namespaces/${namespace}/pods/${pod}/log`, {
        query: { container, tailLines: lines },
        text: true,
      });
    },
  };
}
