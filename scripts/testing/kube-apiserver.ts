import { join } from "node:path";
import type { Subprocess } from "bun";
import { hasGo } from "../lib/go-tools.ts";
import { firstLine } from "../lib/processes.ts";

/**
 * A real Kubernetes API server (etcd + kube-apiserver built from source, no nodes, no controllers) that
 * serves TLS with a private CA, as EKS does. Clients must verify against `caPem`.
 *
 * `@kubernetes/client-node` under Bun may drop its TLS options (oven-sh/bun#42084, #7332): a client that
 * seems to ignore `caPem` is that, not this server. Check with a wrong CA that it really fails.
 */
export interface KubeTestServer {
  /** https://127.0.0.1:<port> */
  server: string;
  /** The private CA that signed the serving certificate. */
  caPem: string;
  /** Bearer token of a `system:masters` user. */
  token: string;
  /** Cluster with certificate-authority-data, that user, and context "test". */
  kubeconfig: string;
  /** The same kubeconfig as a file (deleted with the server). */
  kubeconfigPath: string;
}

let started: Promise<KubeTestServer | undefined> | undefined;
// Its stdin is the child's lifeline: it closes only when this process ends, which stops the server.
let supervisor: Subprocess<"pipe", "pipe", "inherit"> | undefined;

/**
 * One API server per process (bun test runs all files in one process): started on first call, stopped and
 * its data deleted when the process ends, however it ends. Returns undefined (after logging why) when Go
 * is missing and CI is not set; in CI it throws instead.
 */
export function kubeTestServer(): Promise<KubeTestServer | undefined> {
  started ??= start();
  return started;
}

async function start(): Promise<KubeTestServer | undefined> {
  if (!hasGo()) {
    const why = "Go is not on PATH, so etcd and kube-apiserver cannot be built (https://go.dev/dl/)";
    if (process.env.CI) throw new Error(why);
    console.warn(`skipping the tests that need a Kubernetes API server: ${why}`);
    return undefined;
  }
  supervisor = Bun.spawn([process.execPath, join(import.meta.dir, "start-kube-apiserver.ts")], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
  });
  // Skips anything else the child might print (the Go build's output goes to stderr, but be sure).
  const reply = await firstLine(supervisor.stdout, (line) =>
    line.startsWith("{") ? (JSON.parse(line) as KubeTestServer | { error: string }) : undefined,
  );
  if (reply === undefined) {
    throw new Error(`start-kube-apiserver exited (${await supervisor.exited}) without starting the server`);
  }
  if ("error" in reply) throw new Error(`could not start the Kubernetes API server: ${reply.error}`);
  supervisor.unref();
  return reply;
}
