import { resolve } from "node:path";

const servicesDir = resolve(import.meta.dir, "../..");

/** A port that was free a moment ago, so a service can be restarted at the same address. */
export function freePort(): number {
  const probe = Bun.serve({ port: 0, fetch: () => new Response() });
  const { port } = probe;
  probe.stop(true);
  return port!;
}

/** One service as its own process (`bun src/index.ts`), its output kept line by line. */
export async function startService(name: "users-api" | "auth-api", port: number, env: Record<string, string>) {
  const output: string[] = [];
  const child = Bun.spawn(["bun", "src/index.ts"], {
    cwd: resolve(servicesDir, name),
    // Only what the service needs: nothing from this process's environment leaks in.
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", PORT: String(port), ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    let rest = "";
    for await (const chunk of stream) {
      const parts = (rest + decoder.decode(chunk, { stream: true })).split("\n");
      rest = parts.pop()!;
      output.push(...parts);
    }
    if (rest) output.push(rest);
  };
  const drained = Promise.all([collect(child.stdout), collect(child.stderr)]);
  const url = `http://127.0.0.1:${port}`;

  const deadline = Date.now() + 30_000;
  while (!(await fetch(`${url}/health`).then((r) => r.ok, () => false))) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`${name} did not start:\n${(await drained, output.join("\n"))}`);
    await Bun.sleep(100);
  }
  return {
    url,
    output,
    /** SIGTERM, then the exit code once it has stopped and its output is read. */
    async stop(): Promise<number> {
      child.kill("SIGTERM");
      const code = await child.exited;
      await drained;
      return code;
    },
  };
}
