import { resolve } from "node:path";

// Test helper for both services' suites; deliberately not exported from the package index.

const servicesDir = resolve(import.meta.dir, "../..");
const START_TIMEOUT_MS = 30_000;

/** A port that was free a moment ago, so a service can be restarted at the same address. */
export function freePort(): number {
  const probe = Bun.serve({ port: 0, fetch: () => new Response() });
  const { port } = probe;
  probe.stop(true);
  return port!;
}

const listeningPort = (line: string): number | undefined => {
  if (!line.includes('"msg":"listening"')) return undefined;
  const { port } = JSON.parse(line) as { port?: unknown };
  return typeof port === "number" ? port : undefined;
};

/**
 * One service as its own process (`bun src/index.ts`), its output kept line by line. Resolves once the
 * service logs "listening" (`port` 0 lets it pick a free one). A process that exits first or stays silent
 * past the timeout is killed before the error, which carries its output, is thrown: nothing is left running.
 */
export async function startService(name: "users-api" | "auth-api", port: number, env: Record<string, string>) {
  const output: string[] = [];
  const child = Bun.spawn(["bun", "src/index.ts"], {
    cwd: resolve(servicesDir, name),
    // Only what the service needs: nothing from this process's environment leaks in.
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", PORT: String(port), ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  let heard: (port: number) => void = () => {};
  const listening = new Promise<number>((resolve) => (heard = resolve));
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    let rest = "";
    const keep = (line: string) => {
      output.push(line);
      const port = listeningPort(line);
      if (port !== undefined) heard(port);
    };
    for await (const chunk of stream) {
      const parts = (rest + decoder.decode(chunk, { stream: true })).split("\n");
      rest = parts.pop()!;
      parts.forEach(keep);
    }
    if (rest) keep(rest);
  };
  const drained = Promise.all([collect(child.stdout), collect(child.stderr)]);

  let timer: Timer | undefined;
  const failed = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`not listening after ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
    void child.exited.then((code) => resolve(`exited with ${code}`));
  });
  const started = await Promise.race([listening, failed]).finally(() => clearTimeout(timer));
  if (typeof started === "string") {
    child.kill("SIGKILL");
    await drained;
    throw new Error(`${name} did not start (${started}):\n${output.join("\n")}`);
  }

  return {
    url: `http://127.0.0.1:${started}`,
    /** stdout and stderr lines, in arrival order per stream. */
    output,
    /** The JSON log lines so far, parsed. */
    logs: () =>
      output.filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as Record<string, unknown>),
    /** SIGKILL (a crash: no shutdown runs), then the exit code once its output is read. */
    async kill(): Promise<number | null> {
      child.kill("SIGKILL");
      await child.exited;
      await drained;
      return child.exitCode;
    },
    /** SIGTERM, then the exit code once it has stopped and its output is read. */
    async stop(): Promise<number> {
      child.kill("SIGTERM");
      const code = await child.exited;
      await drained;
      return code;
    },
  };
}

export type RunningService = Awaited<ReturnType<typeof startService>>;
