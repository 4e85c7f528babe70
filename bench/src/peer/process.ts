import { resolve } from "node:path";
import { generateInternalToken } from "@accounts/shared/secrets";
import { terminate } from "@accounts/scripts/lib/processes";

const readyTimeoutMs = 30_000;

/** Better Auth (server.ts) on `port` against `mongodbUri`, with a secret made for this run; waited for until it answers. */
export async function startPeer({ port, mongodbUri }: { port: number; mongodbUri: string }) {
  const child = Bun.spawn(["bun", resolve(import.meta.dir, "server.ts")], {
    env: {
      PATH: process.env.PATH ?? "",
      PORT: String(port),
      MONGODB_URI: mongodbUri,
      BETTER_AUTH_SECRET: generateInternalToken(),
      NODE_ENV: "production",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = () => terminate([child]);
  const deadline = Date.now() + readyTimeoutMs;
  while (
    !(await fetch(`${url}/api/auth/ok`).then(
      (response) => response.ok,
      () => false,
    ))
  ) {
    if (child.exitCode !== null) throw new Error(`Better Auth exited with code ${child.exitCode} while starting`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Better Auth was not ready on port ${port} within ${readyTimeoutMs / 1000} s`);
    }
    await Bun.sleep(250);
  }
  return { pid: child.pid, url, stop };
}

export type Peer = Awaited<ReturnType<typeof startPeer>>;
