import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureGoTools } from "./go-tools.ts";
import { firstLine, terminate } from "./processes.ts";

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
 * machines where no MongoDB runs. `stop()` ends the server and deletes its data. `pushdown: false` starts it with
 * the backend's WHERE clauses off (tools/ferretdb's `-disable-pushdown`), for comparing results.
 */
export async function startFerretDB({
  port = 0,
  dataDir = mkdtempSync(join(tmpdir(), "accounts-ferretdb-")),
  pushdown = true,
}: {
  port?: number;
  dataDir?: string;
  /** false: no WHERE clause, the handler filters every document itself; what the patch's pushdown is compared with. */
  pushdown?: boolean;
} = {}): Promise<LocalDatabase> {
  const binDir = await ensureGoTools("ferretdb");
  const command = [join(binDir, "ferretdb"), "-data", dataDir, "-listen", `127.0.0.1:${port}`];
  if (!pushdown) command.push("-disable-pushdown");
  const server = Bun.spawn(command, { stdout: "pipe", stderr: "inherit" });
  const stop = async () => {
    await terminate([server]);
    rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    const uri = await firstLine(server.stdout, (line) => /^ready (\S+)$/.exec(line)?.[1], readyTimeoutMs);
    if (uri === undefined) throw new Error(`FerretDB did not become ready within ${readyTimeoutMs / 1000} s`);
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
