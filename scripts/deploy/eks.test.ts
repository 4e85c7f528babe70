// The EKS path end to end, with AWS mocked because it cannot be reached from here: a fake EKS API answers
// DescribeCluster (found through AWS_ENDPOINT_URL_EKS, as the SDK allows), and a fake cluster endpoint, serving
// TLS from a private CA as EKS does, records what the deploy tool sends. The real token check is AWS's own.
import { afterAll, expect, test } from "bun:test";
import { createTestPki } from "../testing/pki.ts";
import { canRunCli, runDeploy, secretInputs } from "./testing/cluster.ts";

const pki = await createTestPki();
const eksRequests: Array<{ request: string; authorization: string }> = [];
const clusterAuthorizations: string[] = [];

const clusterEndpoint = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  tls: { cert: pki.servingCertPem, key: pki.servingKeyPem },
  fetch(request) {
    clusterAuthorizations.push(request.headers.get("authorization") ?? "");
    return Response.json(
      {
        kind: "Status",
        apiVersion: "v1",
        status: "Failure",
        reason: "Unauthorized",
        code: 401,
        message: "Unauthorized",
      },
      { status: 401 },
    );
  },
});
const eksApi = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch(request) {
    eksRequests.push({
      request: `${request.method} ${new URL(request.url).pathname}`,
      authorization: request.headers.get("authorization") ?? "",
    });
    return Response.json({
      cluster: {
        name: "accounts-test",
        status: "ACTIVE",
        endpoint: `https://127.0.0.1:${clusterEndpoint.port}`,
        certificateAuthority: { data: Buffer.from(pki.caPem).toString("base64") },
      },
    });
  },
});
afterAll(() => {
  clusterEndpoint.stop(true);
  eksApi.stop(true);
});

test.skipIf(!canRunCli)(
  "--eks-cluster: credentials from the provider chain, endpoint and CA from DescribeCluster, a signed EKS token",
  async () => {
    const run = await runDeploy(
      ["dev", "--image-tag", "v1", "--eks-cluster", "accounts-test", "--region", "eu-west-1", "--dry-run"],
      {
        namespace: "eks-test",
        env: {
          ...(await secretInputs()),
          AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
          AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
          AWS_ENDPOINT_URL_EKS: `http://127.0.0.1:${eksApi.port}`,
          AWS_CONFIG_FILE: "/nonexistent",
          AWS_SHARED_CREDENTIALS_FILE: "/nonexistent",
          AWS_EC2_METADATA_DISABLED: "true",
        },
      },
    );
    // The fake endpoint refuses every token: the deploy must stop there, naming the 401.
    expect(run.exitCode, run.output).toBe(1);
    expect(run.output).toContain("401");

    expect(eksRequests.map(({ request }) => request)).toEqual(["GET /clusters/accounts-test"]);
    expect(eksRequests[0]!.authorization).toStartWith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/");
    expect(eksRequests[0]!.authorization).toContain("/eu-west-1/eks/aws4_request");

    // TLS verified against the CA DescribeCluster returned (otherwise no request would have arrived).
    expect(clusterAuthorizations.length).toBeGreaterThan(0);
    const [authorization] = clusterAuthorizations;
    expect(authorization).toMatch(/^Bearer k8s-aws-v1\.[A-Za-z0-9_-]+$/);
    const url = new URL(Buffer.from(authorization!.slice("Bearer k8s-aws-v1.".length), "base64url").toString());
    expect(url.host).toBe("sts.eu-west-1.amazonaws.com");
    expect(url.searchParams.get("Action")).toBe("GetCallerIdentity");
    expect(url.searchParams.get("X-Amz-Credential")).toStartWith("AKIDEXAMPLE/");
    expect(url.searchParams.get("X-Amz-SignedHeaders")).toBe("host;x-k8s-aws-id");
    // Every request of the run reuses one token: it is renewed only near its 15-minute end.
    expect(new Set(clusterAuthorizations).size).toBe(1);
  },
  60_000,
);
