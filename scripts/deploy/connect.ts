// Where the manifests go: an EKS cluster reached with AWS credentials, or any cluster in a kubeconfig file.
import { DescribeClusterCommand, EKSClient } from "@aws-sdk/client-eks";
import { fromNodeProviderChain } from "@aws-sdk/credential-providers";
import { KubeConfig, type User } from "@kubernetes/client-node";
import { createEksToken, renewingToken } from "./eks-token.ts";

export function fromKubeconfig(path: string, context?: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(path);
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
