// `bun run db`: a throw-away local database for running single test files by hand:
//   MONGODB_URI=<printed uri> bun test services/users-api
import { startFerretDB } from "./lib/ferretdb.ts";

const database = await startFerretDB();
console.log(database.uri);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    await database.stop();
    process.exit(0);
  });
}
