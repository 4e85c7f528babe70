// TEMPORARY: replaced by scripts/dev.ts startSystem() once that exists.
import { resolve } from "node:path";
import { generateSigningKey } from "../../services/auth-api/src/keys/generate.ts";
import { generateInternalToken } from "../../services/shared/src/secrets.ts";
import { startFerretDB } from "../../scripts/lib/ferretdb.ts";

export async function startSystem({ usersPort, authPort }: { usersPort: number; authPort: number }) {
  const database = process.env.MONGODB_URI ? undefined : await startFerretDB();
  const mongodbUri = process.env.MONGODB_URI ?? `${database!.uri.replace(/\/?(\?|$)/, "/accounts$1")}`;
  const internalToken = generateInternalToken();
  const start = async (name: string, port: number, env: Record<string, string>) => {
    const child = Bun.spawn(["bun", "src/index.ts"], { cwd: resolve(import.meta.dir, "../../services", name), env: { ...process.env, ...env, PORT: String(port) }, stdio: ["ignore", "ignore", "inherit"] });
    for (;;) {
      if (await fetch(`http://localhost:${port}/ready`).then((r) => r.ok, () => false)) return child;
      await Bun.sleep(250);
    }
  };
  const auth = await start("auth-api", authPort, { INTERNAL_TOKEN: internalToken, JWT_SIGNING_KEY: JSON.stringify((await generateSigningKey()).privateJwk) });
  const users = await start("users-api", usersPort, { MONGODB_URI: mongodbUri, AUTH_API_URL: `http://localhost:${authPort}`, INTERNAL_TOKEN: internalToken });
  return {
    services: { "auth-api": auth, "users-api": users },
    async stop() {
      users.kill(); auth.kill(); await Promise.all([users.exited, auth.exited]); await database?.stop();
    },
  };
}
