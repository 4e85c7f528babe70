// `bun run admin -- …` runs this under Node (tsx), like the deploy tool: through a cluster it uses
// @kubernetes/client-node, whose TLS options Bun drops (see scripts/deploy.ts).
import { main } from "./admin/cli.ts";

if (process.versions.bun) {
  console.error("error: run the admin command under Node (bun run admin does): Bun would skip its TLS checks");
  process.exit(2);
}
process.exitCode = await main(process.argv.slice(2), { env: process.env, log: (line) => console.log(line) });
