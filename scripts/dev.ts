// `bun run dev`: the whole system on this machine (see startSystem), services under `bun --watch`
// so edits restart them, their log lines on this terminal, one readable line each. Ctrl-C stops everything.
import { startSystem } from "./lib/system.ts";

const usersPort = Number(process.env.USERS_API_PORT ?? 3000);
const authPort = Number(process.env.AUTH_API_PORT ?? 3001);

if (!process.env.MONGODB_URI)
  console.log("MONGODB_URI is not set: starting FerretDB (the first run builds it with Go, which takes a minute)");

let system: Awaited<ReturnType<typeof startSystem>>;
try {
  system = await startSystem({ usersPort, authPort, watch: true, logs: "pretty" });
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}

let stopping = false;
const stop = async (exitCode: number) => {
  if (stopping) return;
  stopping = true;
  await system.stop();
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
auth-api   http://localhost:${authPort}   (internal)   API docs: http://localhost:${authPort}/swagger
inbox      ${system.inboxUrl}   every email users-api sends (verification, reset) lands here
Ctrl-C stops both, the mail catcher${system.startedDatabase ? " and the database" : ""}.
`);
