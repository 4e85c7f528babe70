// `bun run deploy -- …` runs this under Node (tsx): under Bun, @kubernetes/client-node's TLS options are dropped
// (oven-sh/bun#42084, #7332), and a deploy tool must verify the cluster's certificate. See docs/operations.md, "Deploy".
import { synthManifests } from "@accounts/k8s";
import { main } from "./deploy/cli.ts";

if (process.versions.bun) {
  console.error("error: run the deploy tool under Node (bun run deploy does): Bun would skip its TLS checks");
  process.exit(2);
}
process.exitCode = await main(process.argv.slice(2), {
  synth: synthManifests,
  env: process.env,
  log: (line) => console.log(line),
});
