// `bun run dev`: the whole system on this machine (see startSystem), services under `bun --watch`
// so edits restart them, their log lines on this terminal, one readable line each. Ctrl-C stops everything.
import { generateInternalToken } from "@accounts/shared/secrets";
import { removeDevAdmin, writeDevAdmin } from "./admin/dev-credentials.ts";
import { startSystem } from "./lib/system.ts";

const usersPort = Number(process.env.USERS_API_PORT ?? 3000);
const authPort = Number(process.env.AUTH_API_PORT ?? 3001);
const adminPort = Number(process.env.ADMIN_PORT ?? 3002);
// ADMIN_TOKEN when set; otherwise one for this run, which `bun run admin` reads from .dev/admin.json (never printed).
const adminToken = process.env.ADMIN_TOKEN ?? generateInternalToken();
if (!process.env.ADMIN_TOKEN) writeDevAdmin({ url: `http://localhost:${adminPort}`, token: adminToken });

if (!process.env.MONGODB_URI)
  console.log("MONGODB_URI is not set: starting FerretDB (the first run builds it with Go, which takes a minute)");

let system: Awaited<ReturnType<typeof startSystem>>;
try {
  system = await startSystem({
    usersPort,
    authPort,
    admin: { port: adminPort, token: adminToken },
    watch: true,
    logs: "pretty",
  });
} catch (error) {
  removeDevAdmin();
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}

let stopping = false;
const stop = async (exitCode: number) => {
  if (stopping) return;
  stopping = true;
  await system.stop();
  removeDevAdmin();
  process.exit(exitCode);
};
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => void stop(0));
for (const [name, child] of Object.entries(system.services))
  void child.exited.then((code) => {
    if (stopping) return;
    console.error(`${name} exited with code ${code}`);
    void stop(1);
  });

console.log(`
users-api  http://localhost:${usersPort}   API docs: http://localhost:${usersPort}/swagger
admin      http://localhost:${adminPort}   bun run admin users find <prefix>   API docs: http://localhost:${adminPort}/swagger
auth-api   http://localhost:${authPort}   (internal)   API docs: http://localhost:${authPort}/swagger
inbox      ${system.inboxUrl}   every email users-api sends (verification, reset) lands here
Ctrl-C stops both, the mail catcher${system.startedDatabase ? " and the database" : ""}.
`);
