import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Yaml } from "cdk8s";
import { ensureGoTools, hasGo } from "@accounts/scripts/lib/go-tools";
import { environments, synthManifests } from "../src/manifests.ts";
import type { KubeObject } from "./objects.ts";

/**
 * kube-score (https://github.com/zegl/kube-score) as a second opinion beside our own asserts. Checks switched on or
 * off here are listed in k8s/README.md with the reason.
 */
const kubeScoreArgs = [
  "--kubernetes-version=v1.33",
  "--enable-optional-test=container-seccomp-profile",
  "--enable-optional-test=container-memory-requests-equal-limits",
  "--enable-optional-test=container-ports-check",
  // Our Deployments spread over nodes with topologySpreadConstraints; this check only reads podAntiAffinity.
  "--ignore-test=deployment-has-host-podantiaffinity",
];

const runnable = hasGo() || Boolean(process.env.CI);
if (!runnable)
  console.warn("skipping kube-score: Go is not on PATH to build it (https://go.dev/dl/); CI fails instead");

describe.skipIf(!runnable)("kube-score", () => {
  let kubeScore = "";
  const workDir = mkdtempSync(join(tmpdir(), "kube-score-"));

  beforeAll(async () => {
    kubeScore = join(await ensureGoTools("kube-score"), "kube-score");
  }, 600_000);
  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  /** Findings other than OK and SKIPPED, one per line of the `ci` output. */
  async function findings(manifests: KubeObject[], name: string): Promise<string[]> {
    const file = join(workDir, `${name}.k8s.yaml`);
    writeFileSync(file, Yaml.stringify(...manifests));
    const run = Bun.spawn([kubeScore, "score", "--output-format=ci", ...kubeScoreArgs, file], {
      stdout: "pipe",
      stderr: "pipe",
    });
    const [output, errors] = await Promise.all([new Response(run.stdout).text(), new Response(run.stderr).text()]);
    await run.exited;
    const lines = output.split("\n").filter(Boolean);
    // A checker that read nothing passes everything: make sure it scored our objects.
    if (!lines.some((line) => line.startsWith("[OK]"))) throw new Error(`kube-score scored nothing: ${errors}`);
    return lines.filter((line) => !/^\[(OK|SKIPPED)\]/.test(line));
  }

  test.each(environments)("%s manifests have no CRITICAL or WARNING finding", async (environment) => {
    expect(await findings(synthManifests(environment, { imageTag: "0123456789abcdef" }), environment)).toEqual([]);
  });

  test("it does catch a container without limits", async () => {
    const manifests: KubeObject[] = synthManifests("prod", { imageTag: "0123456789abcdef" });
    const deployment = manifests.find((object) => object.kind === "Deployment")!;
    delete deployment.spec.template.spec.containers[0].resources.limits;
    const found = await findings(manifests, "broken");
    expect(found.some((line) => line.startsWith("[CRITICAL]") && line.includes(deployment.metadata.name))).toBe(true);
  });
});
