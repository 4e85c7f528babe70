// The deploy CLI as the tests run it (under Node, like `bun run deploy`), with the synthesized manifests moved to
// the test's own namespace so suites sharing one API server never meet: namespaces cannot be deleted there (no
// namespace controller). DEPLOY_TEST_OMIT ("Kind/name,…") drops objects, as a manifest change would.
import { synthManifests } from "@accounts/k8s";
import { main } from "../cli.ts";
import type { KubeObject } from "../objects.ts";

const namespace = process.env.DEPLOY_TEST_NAMESPACE;
if (!namespace) throw new Error("DEPLOY_TEST_NAMESPACE is not set");
const omitted = new Set((process.env.DEPLOY_TEST_OMIT ?? "").split(",").filter(Boolean));

process.exitCode = await main(process.argv.slice(2), {
  synth: (environment, overrides) =>
    moveToNamespace(synthManifests(environment, overrides), namespace).filter(
      (object) => !omitted.has(`${object.kind}/${object.metadata.name}`),
    ),
  env: process.env,
  log: (line) => console.log(line),
});

/** Cluster-scoped objects other than the Namespace get a prefixed name, for the same reason. */
function moveToNamespace(manifests: KubeObject[], namespace: string): KubeObject[] {
  return manifests.map((object) => {
    if (object.kind === "Namespace") return { ...object, metadata: { ...object.metadata, name: namespace } };
    if (!object.metadata.namespace)
      return { ...object, metadata: { ...object.metadata, name: `${namespace}-${object.metadata.name}` } };
    return { ...object, metadata: { ...object.metadata, namespace } };
  });
}
