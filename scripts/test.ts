// `bun run test`: the whole suite against a real database. Uses MONGODB_URI when
// set (CI's mongo:7); otherwise starts FerretDB for the run and removes it after.
import { startFerretDB, type LocalDatabase } from "./lib/ferretdb.ts";

let database: LocalDatabase | undefined;
if (!process.env.MONGODB_URI) {
  database = await startFerretDB();
  process.env.MONGODB_URI = database.uri;
}

const tests = Bun.spawn(["bun", "test", ...process.argv.slice(2)], {
  stdio: ["inherit", "inherit", "inherit"],
  env: process.env,
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => tests.kill(signal));
}
const exitCode = await tests.exited;
await database?.stop();
process.exit(exitCode);
