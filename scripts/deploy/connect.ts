// Where the manifests go (and where `bun run admin` reaches the admin Service): an EKS cluster reached with AWS
// credentials, or any cluster in a kubeconfig file.
import { DescribeClusterCommand, EKSClient } from "@aws-sdk/client-eks";
import { fromNodeProviderChain } from "@aws-sdk/credential-providers";
import { KubeConfig, type User } from "@kubernetes/client-node";
import { createEksToken, renewingToken } from "./eks-token.ts";
import { KubeError } from "./kube.ts";

/** The command-line flags that name a cluster, the same for every tool that reaches one. */
export interface ClusterFlags {
  "eks-cluster"?: string;
  region?: string;
  kubeconfig?: string;
  context?: string;
}

/** Bad input on a command line (both --eks-cluster and --kubeconfig, among others): the tool shows its usage, exits 2. */
export class UsageError extends Error {}

/** Whether `error` is bad input: a UsageError, or an argument node:util's parseArgs refused. */
export const isUsageError = (error: unknown) =>
  error instanceof UsageError || (error as { code?: string } | null)?.code?.startsWith("ERR_PARSE_ARGS") === true;

/** How to reach the cluster the flags name, or undefined when they name none. */
export function clusterFromFlags(flags: ClusterFlags): (() => Promise<KubeConfig>) | undefined {
  const cluster = flags["eks-cluster"];
  const kubeconfig = flags.kubeconfig;
  if (cluster && kubeconfig) throw new UsageError("name the cluster with either --eks-cluster or --kubeconfig");
  if (cluster) return () => fromEks(cluster, flags.region);
  if (kubeconfig) return async () => fromKubeconfig(kubeconfig, flags.context);
  return undefined;
}

/** What to add to an API server's refusal so a person knows where to look. */
export function kubeErrorHint(error: unknown): string {
  if (!(error instanceof KubeError)) return "";
  if (error.status === 401)
    return " (the cluster did not accept these credentials; on EKS the IAM identity needs an access entry: docs/operations.md, One-time AWS setup)";
  if (error.status === 403) return " (these credentials are not allowed to do that: the cluster's RBAC decides)";
  return "";
}

export function fromKubeconfig(path: string, context?: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  try {
    kubeConfig.loadFromFile(path);
  } catch (error) {
    // A YAML error quotes the offending line, which may hold a token or a key: say only what kind of failure it was.
    const code = (error as { code?: string }).code;
    throw new Error(`could not load the kubeconfig ${path}: ${code ?? "not a valid kubeconfig file"}`);
  }
  if (context) {
    if (!kubeConfig.getContextObject(context)) throw new Error(`the kubeconfig ${path} has no context ${context}`);
    kubeConfig.setCurrentContext(context);
  }
  return kubeConfig;
}

/**
 * The standard provider chain finds environment variables, a shared profile, SSO, or the web identity token that
 * GitHub's OIDC role assumption provides; DescribeCluster gives the endpoint and the CA to verify it with.
 */
export async function fromEks(clusterName: string, region?: string): Promise<KubeConfig> {
  const credentials = fromNodeProviderChain();
  const eks = new EKSClient({ credentials, ...(region && { region }) });
  const resolvedRegion = await eks.config.region();
  const { cluster } = await eks.send(new DescribeClusterCommand({ name: clusterName }));
  if (!cluster?.endpoint || !cluster.certificateAuthority?.data)
    throw new Error(`EKS cluster ${clusterName} has no endpoint or CA yet (status ${cluster?.status})`);

  const token = renewingToken(() => createEksToken({ clusterName, region: resolvedRegion, credentials }));
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [
      { name: clusterName, server: cluster.endpoint, caData: cluster.certificateAuthority.data, skipTLSVerify: false },
    ],
    users: [{ name: "aws", authProvider: { name: "accounts-eks" } }],
    contexts: [{ name: clusterName, cluster: clusterName, user: "aws" }],
    currentContext: clusterName,
  });
  kubeConfig.addAuthenticator({
    isAuthProvider: (user: User) => user.authProvider?.name === "accounts-eks",
    async applyAuthentication(_user, options) {
      options.headers = { ...options.headers, authorization: `Bearer ${await token()}` };
    },
  });
  return kubeConfig;
}
