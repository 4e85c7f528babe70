import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureGoTools } from "./go-tools.ts";
import { terminate } from "./processes.ts";

export interface LocalDatabase {
  uri: string;
  stop(): Promise<void>;
  /** SIGKILL, as a crash would: the data directory stays, for `startFerretDB({ port, dataDir })` to bring back. */
  kill(): Promise<void>;
  dataDir: string;
}

const readyTimeoutMs = 30_000;

/**
 * Starts FerretDB (MongoDB wire protocol on SQLite) on a free loopback port (or
 * `port`, to bring a stopped server back at the same address) with a throw-away
 * data directory (or `dataDir`, to bring a killed one back with its data), for
 * machines where no MongoDB runs. `stop()` ends the server and deletes its data.
 */
export async function startFerretDB({
  port = 0,
  dataDir = mkdtempSync(join(tmpdir(), "accounts-ferretdb-")),
}: {
  port?: number;
  dataDir?: string;
} = {}): Promise<LocalDatabase> {
  const binDir = await ensureGoTools("ferretdb");
  const server = Bun.spawn([join(binDir, "ferretdb"), "-data", dataDir, "-listen", `127.0.0.1:${port}`], {
    stdout: "pipe",
    stderr: "inherit",
  });
  const stop = async () => {
    await terminate([server]);
    rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    const uri = await readyLine(server.stdout, readyTimeoutMs);
    const kill = async () => {
      server.kill("SIGKILL");
      await server.exited;
    };
    return { uri, stop, kill, dataDir };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function readyLine(stdout: ReadableStream<Uint8Array>, timeoutMs: number): Promise<string> {
  const reader = stdout.getReader();
  const decoder = new TextDecoder();
  // Cancelling ends a pending read with `done`, so a server that never gets ready cannot hang the caller.
  const timeout = setTimeout(() => void reader.cancel(), timeoutMs);
  let seen = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      seen += decoder.decode(value, { stream: true });
      const match = /^ready (\S+)$/m.exec(seen);
      if (match) return match[1]!;
    }
  } finally {
    clearTimeout(timeout);
    reader.releaseLock();
  }
  throw new Error(`FerretDB did not become ready within ${timeoutMs / 1000} s`);
}
