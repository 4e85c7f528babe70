import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Yaml } from "cdk8s";
import { environments, synthManifests } from "../src/manifests.ts";

const repoRoot = resolve(import.meta.dir, "../..");
const distFile = (environment: string) => join(repoRoot, "k8s/dist", `${environment}.k8s.yaml`);
const synth = (imageTag: string) =>
  Bun.spawnSync(["bun", "run", "synth"], {
    cwd: repoRoot,
    env: { ...process.env, IMAGE_TAG: imageTag },
    stderr: "pipe",
  });
// Each test spawns `bun run synth`, and Yaml.load a process per file: seconds on a busy 2-core machine.
const spawning = 30_000;

test(
  "`bun run synth` writes each environment's manifests, the same objects synthManifests returns",
  () => {
    const imageTag = "3f2c9e1";
    expect(synth(imageTag).exitCode).toBe(0);
    for (const environment of environments) {
      expect(Yaml.load(distFile(environment))).toEqual(synthManifests(environment, { imageTag }));
    }
  },
  spawning,
);

test(
  "`bun run synth` refuses latest and leaves the previous output in place",
  () => {
    expect(synth("3f2c9e1").exitCode).toBe(0);
    const before = readFileSync(distFile("prod"), "utf8");
    const refused = synth("latest");
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr.toString()).toContain("imageTag");
    expect(readFileSync(distFile("prod"), "utf8")).toBe(before);
  },
  spawning,
);
