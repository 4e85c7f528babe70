import { join } from "node:path";
import { ensureGoTools } from "@accounts/scripts/lib/go-tools";
import { terminate } from "@accounts/scripts/lib/processes";
import { freePort } from "@accounts/scripts/lib/processes";

/** A toxic as Toxiproxy's HTTP API takes it (https://github.com/Shopify/toxiproxy#toxics). */
export interface Toxic {
  type: "latency" | "reset_peer" | "bandwidth" | "slow_close" | "timeout";
  stream?: "upstream" | "downstream";
  attributes: Record<string, number>;
}

/**
 * Toxiproxy (built from the Go module proxy, tools/toxiproxy) on loopback: its API on a port of its own, each
 * proxy listening on another free port. Everything goes over its HTTP API, as any client of it would.
 */
export async function startToxiproxy() {
  const apiPort = freePort();
  const server = Bun.spawn(
    [join(await ensureGoTools("toxiproxy"), "server"), "-host", "127.0.0.1", "-port", `${apiPort}`],
    {
      stdout: "ignore",
      stderr: "ignore",
    },
  );
  const api = `http://127.0.0.1:${apiPort}`;
  const call = async (method: string, path: string, body?: object) => {
    const response = await fetch(`${api}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body && JSON.stringify(body),
      // A fresh connection each call: one kept alive through a 10 s outage may have been closed by the API
      // server meanwhile, and reusing it failed the call that ends the outage (ECONNRESET).
      keepalive: false,
    });
    if (!response.ok) throw new Error(`toxiproxy ${method} ${path}: ${response.status} ${await response.text()}`);
    await response.body?.cancel();
  };
  for (const deadline = Date.now() + 10_000; ; await Bun.sleep(50)) {
    if (
      await fetch(`${api}/version`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (Date.now() > deadline || server.exitCode !== null) {
      await terminate([server]);
      throw new Error("toxiproxy did not start");
    }
  }

  return {
    /** A proxy named `name` to `upstream` (host:port); resolves the address clients should use instead. */
    async proxy(name: string, upstream: string) {
      const listen = `127.0.0.1:${freePort()}`;
      await call("POST", "/proxies", { name, listen, upstream, enabled: true });
      return {
        listen,
        /** Adds a toxic to every connection, new and open; `remove` takes it off again. */
        async add(toxic: Toxic) {
          const toxicName = `${toxic.type}-${toxic.stream ?? "downstream"}`;
          await call("POST", `/proxies/${name}/toxics`, {
            name: toxicName,
            stream: "downstream",
            toxicity: 1,
            ...toxic,
          });
          return () => call("DELETE", `/proxies/${name}/toxics/${toxicName}`);
        },
        /** Disabled, the proxy closes its connections and refuses new ones: the dependency is down. */
        setEnabled: (enabled: boolean) => call("POST", `/proxies/${name}`, { enabled }),
      };
    },
    stop: () => terminate([server]),
  };
}

export type Toxiproxy = Awaited<ReturnType<typeof startToxiproxy>>;
export type Proxy = Awaited<ReturnType<Toxiproxy["proxy"]>>;
