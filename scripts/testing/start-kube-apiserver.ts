/**
 * Starts etcd + kube-apiserver in a fresh temporary folder and prints one JSON line on stdout: the
 * `KubeTestServer` (or `{ "error": … }`). Everything stops and the folder is deleted when stdin closes,
 * on SIGHUP, SIGINT or SIGTERM.
 *
 * The test harness runs this as a child and holds its stdin open: when the test process ends in any way,
 * even by SIGKILL, the pipe closes and this cleans up (`bun test` runs no `exit` listeners, oven-sh/bun#8434).
 * By hand, to poke at the server: `bun scripts/testing/start-kube-apiserver.ts`, then Ctrl-C.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ControlPlane } from "./control-plane.ts";

const controlPlane = new ControlPlane(mkdtempSync(join(tmpdir(), "accounts-kube-")));

let stopping: Promise<void> | undefined;
const stopAndExit = (code: number) => {
  stopping ??= controlPlane.stop().finally(() => rmSync(controlPlane.dir, { recursive: true, force: true }));
  void stopping.finally(() => process.exit(code));
};
for (const [signal, number] of [
  ["SIGHUP", 1],
  ["SIGINT", 2],
  ["SIGTERM", 15],
] as const) {
  process.on(signal, () => stopAndExit(128 + number));
}
void (async () => {
  for await (const _ of Bun.stdin.stream());
  stopAndExit(0);
})();

try {
  const server = await controlPlane.start();
  console.log(JSON.stringify(server));
  console.error(`kube-apiserver ready at ${server.server}; KUBECONFIG=${server.kubeconfigPath}`);
} catch (error) {
  console.log(JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
  stopAndExit(1);
}
