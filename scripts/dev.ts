// `bun run dev`: the whole system on this machine. auth-api and users-api run under `bun --watch`
// (edits restart them), against MONGODB_URI when set, else a throw-away FerretDB. The signing key
// and internal token are made fresh for each run and live only in the children's environment.
import { resolve } from "node:path";
import { generateSigningKey } from "../services/auth-api/src/keys/generate.ts";
import { generateInternalToken } from "../services/shared/src/secrets.ts";
import { startFerretDB, type LocalDatabase } from "./lib/ferretdb.ts";

const usersPort = process.env.USERS_API_PORT ?? "3000";
const authPort = process.env.AUTH_API_PORT ?? "3001";
const servicesDir = resolve(import.meta.dir, "../services");
const readyTimeoutMs = 60_000;

let database: LocalDatabase | undefined;
let mongodbUri = process.env.MONGODB_URI;
if (!mongodbUri) {
  console.log("MONGODB_URI is not set: starting FerretDB (the first run builds it with Go, which takes a minute)");
  database = await startFerretDB();
  mongodbUri = withDatabaseName(database.uri, "accounts");
}

const internalToken = generateInternalToken();
const children: Bun.Subprocess[] = [];
let stopping = false;

async function stop(exitCode: number) {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill("SIGTERM");
  await Promise.all(children.map((child) => child.exited));
  await database?.stop();
  process.exit(exitCode);
}
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => void stop(0));

try {
  await startService("auth-api", authPort, {
    INTERNAL_TOKEN: internalToken,
    JWT_SIGNING_KEY: JSON.stringify((await generateSigningKey()).privateJwk),
  });
  await startService("users-api", usersPort, {
    MONGODB_URI: mongodbUri,
    AUTH_API_URL: `http://localhost:${authPort}`,
    INTERNAL_TOKEN: internalToken,
  });
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  await stop(1);
}

console.log(`
users-api  http://localhost:${usersPort}   API docs: http://localhost:${usersPort}/swagger
auth-api   http://localhost:${authPort}   (internal)   API docs: http://localhost:${authPort}/swagger
Ctrl-C stops both${database ? " and the database" : ""}.
`);

/** Starts one service with its logs on this terminal and waits until it reports ready. */
async function startService(name: string, port: string, env: Record<string, string>) {
  const child = Bun.spawn(["bun", "--watch", "src/index.ts"], {
    cwd: resolve(servicesDir, name),
    env: { ...process.env, ...env, PORT: port },
    stdio: ["ignore", "inherit", "inherit"],
  });
  children.push(child);
  void child.exited.then((code) => {
    if (!stopping) {
      console.error(`${name} exited with code ${code}`);
      void stop(1);
    }
  });

  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline && !stopping) {
    const ready = await fetch(`http://localhost:${port}/ready`).then((r) => r.ok, () => false);
    if (ready) return;
    await Bun.sleep(250);
  }
  throw new Error(`${name} did not become ready on port ${port} within ${readyTimeoutMs / 1000} s`);
}

function withDatabaseName(uri: string, name: string): string {
  const url = new URL(uri);
  if (url.pathname === "" || url.pathname === "/") url.pathname = `/${name}`;
  return url.toString();
}
