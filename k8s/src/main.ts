/**
 * `bun run synth`: writes `k8s/dist/<environment>.k8s.yaml` for every environment.
 * IMAGE_TAG (default: the checked-out git commit, which is what the deploy workflow tags images with) and
 * IMAGE_REGISTRY (default: the environment's config) choose the images.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { Yaml } from "cdk8s";
import { environments, synthManifests } from "./manifests.ts";

const distDir = resolve(import.meta.dir, "../dist");

function gitCommit(): string {
  const git = Bun.spawnSync(["git", "rev-parse", "HEAD"], { cwd: import.meta.dir, stderr: "pipe" });
  if (!git.success)
    throw new Error("IMAGE_TAG is not set and the git commit is unknown: set IMAGE_TAG=<tag or sha256:digest>");
  return git.stdout.toString().trim();
}

const imageTag = process.env.IMAGE_TAG || gitCommit();
const imageRegistry = process.env.IMAGE_REGISTRY || undefined;

// Synthesize everything first: a bad config leaves the previous output in place.
const synthesized = environments.map((environment) => ({
  environment,
  manifests: synthManifests(environment, { imageTag, ...(imageRegistry && { imageRegistry }) }),
}));
rmSync(distDir, { recursive: true, force: true });
mkdirSync(distDir, { recursive: true });
for (const { environment, manifests } of synthesized) {
  const file = join(distDir, `${environment}.k8s.yaml`);
  writeFileSync(file, Yaml.stringify(...manifests));
  console.log(`${relative(process.cwd(), file)}: ${manifests.length} objects, image tag ${imageTag}`);
}
