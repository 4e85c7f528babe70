import { resolve } from "node:path";

// Child processes of the dev and test runners, and of the suites that start services as processes.

const repoRoot = resolve(import.meta.dir, "../..");
const servicesDir = resolve(repoRoot, "services");
const START_TIMEOUT_MS = 30_000;

/**
 * Asks processes to stop (SIGTERM) and kills those still running after `graceMs`, so a server that
 * hangs on shutdown (an open client connection, say) can never hang the command that started it.
 */
export async function terminate(processes: Bun.Subprocess[], graceMs = 10_000): Promise<void> {
  for (const process of processes) process.kill("SIGTERM");
  const allExited = Promise.all(processes.map((process) => process.exited));
  if ((await Promise.race([allExited, Bun.sleep(graceMs)])) === undefined) {
    for (const process of processes) process.kill("SIGKILL");
    await allExited;
  }
}

/**
 * `count` different ports that were free a moment ago (all held at once, then released), so a server can be
 * told its port up front or be restarted at the same address. Another process may take one in between.
 */
export function freePorts(count: number): number[] {
  const probes = Array.from({ length: count }, () => Bun.serve({ port: 0, fetch: () => new Response() }));
  const ports = probes.map((probe) => probe.port!);
  for (const probe of probes) probe.stop(true);
  return ports;
}

/** One port that was free a moment ago (see `freePorts`). */
export const freePort = (): number => freePorts(1)[0]!;

/**
 * Calls `onLine` with each line of `stream` until the stream ends or `onLine` returns true; then lets go of
 * the stream (without cancelling it, so the writer is not cut off).
 */
export async function eachLine(stream: ReadableStream<Uint8Array>, onLine: (line: string) => unknown) {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let rest = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const lines = (rest + decoder.decode(value, { stream: true })).split("\n");
      rest = lines.pop()!;
      for (const line of lines) if (onLine(line) === true) return;
    }
    if (rest) onLine(rest);
  } finally {
    reader.releaseLock();
  }
}

/**
 * What `match` makes of the first line it accepts (returns a value for), or undefined when the stream ends
 * first or `timeoutMs` passes; the stream is not read further.
 */
export async function firstLine<T>(
  stream: ReadableStream<Uint8Array>,
  match: (line: string) => T | undefined,
  timeoutMs?: number,
): Promise<T | undefined> {
  let found: T | undefined;
  const read = eachLine(stream, (line) => {
    found = match(line);
    return found !== undefined;
  }).then(() => found);
  if (timeoutMs === undefined) return read;
  let timer: Timer | undefined;
  const timedOut = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
  return Promise.race([read, timedOut]).finally(() => clearTimeout(timer));
}

const listeningPort = (line: string): number | undefined => {
  if (!line.includes('"msg":"listening"')) return undefined;
  const { port } = JSON.parse(line) as { port?: unknown };
  return typeof port === "number" ? port : undefined;
};

export interface ServiceOptions {
  /** 0 lets the service pick a free port. */
  port?: number;
  /** The service's environment, besides PATH, HOME and PORT: nothing of this process's leaks in unless passed. */
  env?: Record<string, string | undefined>;
  /** Run under `bun --watch`, so edits restart it (dev). */
  watch?: boolean;
  /** Where each output line goes; by default lines are kept in `output`. */
  onLine?: (line: string, stream: "stdout" | "stderr") => void;
}

/**
 * One service as its own process (`bun src/index.ts`). Resolves once the service logs "listening". A
 * process that exits first or stays silent past the timeout is killed before the error, which carries its
 * output, is thrown: nothing is left running.
 */
export async function startService(
  name: "users-api" | "auth-api",
  { port = 0, env = {}, watch = false, onLine }: ServiceOptions = {},
) {
  const output: string[] = [];
  const child = Bun.spawn(["bun", ...(watch ? ["--watch"] : []), "src/index.ts"], {
    cwd: resolve(servicesDir, name),
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env, PORT: String(port) },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let heard: (port: number) => void = () => {};
  const listening = new Promise<number>((resolve) => (heard = resolve));
  const keep = (stream: "stdout" | "stderr") => (line: string) => {
    if (onLine) onLine(line, stream);
    else output.push(line);
    const port = listeningPort(line);
    if (port !== undefined) heard(port);
  };
  const drained = Promise.all([eachLine(child.stdout, keep("stdout")), eachLine(child.stderr, keep("stderr"))]);

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
    name,
    child,
    url: `http://127.0.0.1:${started}`,
    /** stdout and stderr lines, in arrival order per stream (unless `onLine` took them). */
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
    /** SIGTERM (SIGKILL if it hangs), then the exit code once it has stopped and its output is read. */
    async stop(): Promise<number> {
      await terminate([child]);
      await drained;
      return child.exited;
    },
  };
}

export type RunningService = Awaited<ReturnType<typeof startService>>;

/**
 * Runs a TypeScript `script` under Node through tsx, as `bun run deploy` and `bun run admin` run theirs: from the
 * repository root, with PATH, HOME and `env` as its whole environment. Killed after `limitMs`, so a run that hangs
 * fails its test instead of the suite's timeout. Resolves its exit code, output and how long it took.
 */
export async function runUnderNode(script: string, args: string[], env: Record<string, string>, limitMs = 60_000) {
  const started = performance.now();
  const child = Bun.spawn([resolve(repoRoot, "scripts/node_modules/.bin/tsx"), script, ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => child.kill(), limitMs);
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  clearTimeout(timer);
  return { exitCode, stdout, stderr, ms: performance.now() - started };
}
