import { MongoClient } from "mongodb";
import { startFerretDB } from "@accounts/scripts/lib/ferretdb";
import { withDatabaseName } from "@accounts/scripts/lib/system";

/**
 * The one database server both systems use: MONGODB_URI if set, else a throw-away FerretDB. Ours gets the URI's
 * database (`accounts` if it names none), Better Auth a database of its own beside it. The bench's own client
 * (growth seeding) uses the plain driver, which Better Auth's adapter needs anyway.
 */
export async function openBenchDatabase() {
  const started = process.env.MONGODB_URI ? undefined : await startFerretDB();
  const ours = withDatabaseName(process.env.MONGODB_URI ?? started!.uri, "accounts");
  const peer = new URL(ours);
  peer.pathname = `${peer.pathname}-better-auth`;
  const client = await new MongoClient(ours).connect();
  try {
    const info = await client.db("admin").command({ buildInfo: 1 });
    // FerretDB answers buildInfo with the MongoDB version it emulates, plus a field of its own.
    const isFerretDB = "ferretdbVersion" in info;
    const server = isFerretDB
      ? `FerretDB${info.ferretdbVersion === "unknown" ? "" : ` ${info.ferretdbVersion}`} (MongoDB ${info.version} protocol)${started ? ", started by the bench" : ""}`
      : `MongoDB ${info.version}`;
    return {
      ours,
      peer: peer.toString(),
      server,
      isFerretDB,
      db: client.db(),
      stop: async () => {
        await client.close();
        await started?.stop();
      },
    };
  } catch (error) {
    await client.close();
    await started?.stop();
    throw error;
  }
}

export type BenchDatabase = Awaited<ReturnType<typeof openBenchDatabase>>;
