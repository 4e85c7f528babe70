import { parseArgs } from "node:util";
import { type Environment, environments } from "@accounts/k8s";
import { clusterFromFlags, isUsageError, kubeErrorHint, UsageError } from "./connect.ts";
import { deploy, type Synth } from "./run.ts";
import { SecretInputError } from "./secrets.ts";

export const usage = `Usage:
  bun run deploy -- <dev|prod> --image-tag <git sha> --eks-cluster <name> [--region <aws region>] [options]
  bun run deploy -- <dev|prod> --image-tag <git sha> --kubeconfig <file> [--context <name>] [options]
  bun run deploy -- generate-secrets <dev|prod> --out <dir>

Options:
  --image-registry <host> where the images were pushed (default: the environment's k8s config)
  --secrets-dir <dir>  read each secret not set as an environment variable from <dir>/<NAME>
  --dry-run            validate every object with a server-side dry-run; change nothing
  --diff               like --dry-run, and show each field that would change
  --timeout <duration> how long the rollout may take, e.g. 300s or 10m (default 10m)`;

/** Exit codes: 0 done, 1 the deploy failed (and was rolled back when possible), 2 bad input, nothing applied. */
export async function main(
  argv: string[],
  deps: { synth: Synth; env: Record<string, string | undefined>; log: (line: string) => void },
): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        "image-tag": { type: "string" },
        "image-registry": { type: "string" },
        "eks-cluster": { type: "string" },
        region: { type: "string" },
        kubeconfig: { type: "string" },
        context: { type: "string" },
        "secrets-dir": { type: "string" },
        "dry-run": { type: "boolean" },
        diff: { type: "boolean" },
        timeout: { type: "string", default: "10m" },
        out: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
    if (values.help) {
      deps.log(usage);
      return 0;
    }
    if (positionals[0] === "generate-secrets") {
      if (!values.out) throw new UsageError("generate-secrets needs --out <dir>");
      // Loaded only here: it pulls in auth-api's key code, which a deploy does not need.
      const { generateSecrets } = await import("./generate-secrets.ts");
      await generateSecrets(environment(positionals[1]), values.out, deps.log);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError("name exactly one environment");
    const imageTag = values["image-tag"];
    if (!imageTag) throw new UsageError("--image-tag is required: deploy the image built from a known commit");
    const connect = clusterFromFlags(values);
    if (!connect) throw new UsageError("name the cluster with either --eks-cluster or --kubeconfig");
    if (values["dry-run"] && values.diff) throw new UsageError("--diff already is a dry run: use one of them");
    return await deploy(connect, deps.synth, {
      environment: environment(positionals[0]),
      imageTag,
      imageRegistry: values["image-registry"],
      plan: values.diff ? "diff" : values["dry-run"] ? "dry-run" : undefined,
      timeoutMs: duration(values.timeout),
      secretsDir: values["secrets-dir"],
      env: deps.env,
      log: deps.log,
    });
  } catch (error) {
    if (isUsageError(error)) {
      deps.log(`error: ${(error as Error).message}\n\n${usage}`);
      return 2;
    }
    if (error instanceof SecretInputError) {
      deps.log(`error: ${error.message}; nothing was applied`);
      return 2;
    }
    deps.log(`error: ${(error as Error).message}${kubeErrorHint(error)}`);
    return 1;
  }
}

function environment(name: string | undefined): Environment {
  if (!environments.includes(name as Environment))
    throw new UsageError(`unknown environment ${JSON.stringify(name)}: use ${environments.join(" or ")}`);
  return name as Environment;
}

function duration(text: string): number {
  const match = /^(\d+)(s|m)$/.exec(text);
  if (!match) throw new UsageError(`--timeout ${text}: use seconds or minutes, e.g. 300s or 10m`);
  return Number(match[1]) * (match[2] === "m" ? 60_000 : 1000);
}
