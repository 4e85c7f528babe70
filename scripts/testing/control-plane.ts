import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { ensureGoTools } from "../lib/go-tools.ts";
import { freePorts, terminate } from "../lib/processes.ts";
import type { KubeTestServer } from "./kube-apiserver.ts";
import { createTestPki } from "./pki.ts";

// Generous: a start takes about 5 s here, many times that while builds or other suites load the machine.
const etcdReadyTimeoutMs = 30_000;
const apiserverReadyTimeoutMs = 120_000;
const stopGraceMs = 5_000;
const pollIntervalMs = 250;
// A port taken by something else may accept the connection and never answer.
const probeTimeoutMs = 2_000;
// A port is free when picked and bound a moment later: another process can take it in between.
const startAttempts = 3;

interface Component {
  name: string;
  process: Subprocess;
  logPath: string;
}

/**
 * etcd plus kube-apiserver with no nodes and no controllers, as controller-runtime's envtest runs them,
 * everything kept in `dir`. `stop()` also ends whatever a failed or interrupted `start()` had begun.
 */
export class ControlPlane {
  readonly #components: Component[] = [];

  constructor(readonly dir: string) {}

  async start(): Promise<KubeTestServer> {
    const [etcdBin, apiserverBin] = await Promise.all([ensureGoTools("etcd"), ensureGoTools("kube-apiserver")]);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#startOnce(join(etcdBin, "etcd"), join(apiserverBin, "kube-apiserver"));
      } catch (error) {
        if (attempt === startAttempts || !String(error).includes("address already in use")) throw error;
        await this.stop();
        this.#components.length = 0;
        rmSync(join(this.dir, "etcd"), { recursive: true, force: true });
      }
    }
  }

  async #startOnce(etcdBin: string, apiserverBin: string): Promise<KubeTestServer> {
    const [pki, [etcdClientPort, etcdPeerPort, apiserverPort]] = [await createTestPki(), freePorts(3)];
    const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
    const etcdPeerUrl = `http://127.0.0.1:${etcdPeerPort}`;
    const server = `https://127.0.0.1:${apiserverPort}`;
    const token = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");

    const etcd = this.#spawn("etcd", [
      etcdBin,
      "--name=test",
      `--data-dir=${join(this.dir, "etcd")}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${etcdPeerUrl}`,
      `--initial-advertise-peer-urls=${etcdPeerUrl}`,
      `--initial-cluster=test=${etcdPeerUrl}`,
      // The data is thrown away at the end: durability would only cost time.
      "--unsafe-no-fsync",
    ]);
    await waitUntilReady(etcd, etcdReadyTimeoutMs, async () => {
      const response = await fetch(`${etcdUrl}/health`, { signal: AbortSignal.timeout(probeTimeoutMs) });
      return response.ok ? undefined : `GET /health: ${response.status} ${await response.text()}`;
    });

    const files = this.#writeFiles({
      "ca.crt": pki.caPem,
      "apiserver.crt": pki.servingCertPem,
      "apiserver.key": pki.servingKeyPem,
      "service-account.key": pki.serviceAccountKeyPem,
      "service-account.pub": pki.serviceAccountPublicKeyPem,
      "tokens.csv": `${token},test-admin,test-admin,system:masters\n`,
    });
    const apiserver = this.#spawn("kube-apiserver", [
      apiserverBin,
      `--etcd-servers=${etcdUrl}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${apiserverPort}`,
      `--cert-dir=${join(this.dir, "certs")}`,
      `--tls-cert-file=${files["apiserver.crt"]}`,
      `--tls-private-key-file=${files["apiserver.key"]}`,
      `--token-auth-file=${files["tokens.csv"]}`,
      "--authorization-mode=RBAC",
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${files["service-account.pub"]}`,
      `--service-account-signing-key-file=${files["service-account.key"]}`,
      "--service-cluster-ip-range=10.96.0.0/16",
      // No node will ever serve the `kubernetes` Service, so keep the API server from advertising itself there.
      "--endpoint-reconciler-type=none",
    ]);
    const tls = { ca: pki.caPem };
    const headers = { authorization: `Bearer ${token}` };
    await waitUntilReady(apiserver, apiserverReadyTimeoutMs, async () => {
      const response = await fetch(`${server}/readyz?verbose`, {
        tls,
        headers,
        signal: AbortSignal.timeout(probeTimeoutMs),
      });
      return response.ok ? undefined : `GET /readyz: ${response.status}\n${await response.text()}`;
    });

    const kubeconfig = Bun.YAML.stringify(
      {
        apiVersion: "v1",
        kind: "Config",
        clusters: [
          {
            name: "test",
            cluster: { server, "certificate-authority-data": Buffer.from(pki.caPem).toString("base64") },
          },
        ],
        users: [{ name: "test-admin", user: { token } }],
        contexts: [{ name: "test", context: { cluster: "test", user: "test-admin" } }],
        "current-context": "test",
      },
      null,
      2,
    );
    const kubeconfigPath = this.#writeFiles({ kubeconfig: kubeconfig }).kubeconfig;
    return { server, caPem: pki.caPem, token, kubeconfig, kubeconfigPath };
  }

  async stop(): Promise<void> {
    await terminate(
      this.#components.map((component) => component.process),
      stopGraceMs,
    );
  }

  #spawn(name: string, command: string[]): Component {
    const logPath = join(this.dir, `${name}.log`);
    const log = openSync(logPath, "a");
    const process = Bun.spawn(command, { stdin: "ignore", stdout: log, stderr: log });
    closeSync(log);
    const component = { name, process, logPath };
    this.#components.push(component);
    return component;
  }

  /** Files holding keys and the token: readable by this user only. */
  #writeFiles<Name extends string>(contents: Record<Name, string>): Record<Name, string> {
    const secretsDir = join(this.dir, "secrets");
    mkdirSync(secretsDir, { recursive: true, mode: 0o700 });
    const paths = {} as Record<Name, string>;
    for (const [name, text] of Object.entries(contents) as [Name, string][]) {
      paths[name] = join(secretsDir, name);
      writeFileSync(paths[name], text, { mode: 0o600 });
    }
    return paths;
  }
}

/** Polls `probe` (undefined = ready, else what it saw) until ready; fails early if the process exits. */
async function waitUntilReady(component: Component, timeoutMs: number, probe: () => Promise<string | undefined>) {
  const deadline = performance.now() + timeoutMs;
  let lastSeen = "no answer yet";
  while (performance.now() < deadline) {
    if (component.process.exitCode !== null || component.process.signalCode !== null) {
      throw new Error(
        `${component.name} exited (${component.process.exitCode ?? component.process.signalCode}) while starting\n${logTail(component)}`,
      );
    }
    try {
      const notReady = await probe();
      if (notReady === undefined) return;
      lastSeen = notReady;
    } catch (error) {
      lastSeen = error instanceof Error ? error.message : String(error);
    }
    await Bun.sleep(pollIntervalMs);
  }
  throw new Error(
    `${component.name} not ready after ${timeoutMs / 1000} s; last check: ${lastSeen}\n${logTail(component)}`,
  );
}

function logTail({ name, logPath }: Component, lines = 40): string {
  const tail = readFileSync(logPath, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  return `--- last ${lines} lines of ${name}'s log ---\n${tail}`;
}
