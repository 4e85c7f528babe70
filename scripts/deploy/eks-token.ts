// The bearer token EKS accepts, made in-process the way `aws eks get-token` makes it: a presigned
// STS GetCallerIdentity URL. EKS (aws-iam-authenticator) calls that URL to learn who we are; the signed
// x-k8s-aws-id header binds the token to one cluster so it cannot be replayed against another.
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";

/** aws-iam-authenticator accepts a token for 15 minutes after its signing time, whatever X-Amz-Expires says. */
export const TOKEN_LIFETIME_MS = 15 * 60 * 1000;

export interface EksToken {
  token: string;
  expiresAt: Date;
}

export async function createEksToken(options: {
  clusterName: string;
  region: string;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  now?: Date;
}): Promise<EksToken> {
  const signingDate = options.now ?? new Date();
  const hostname = `sts.${options.region}.amazonaws.com`;
  const signer = new SignatureV4({
    credentials: options.credentials,
    region: options.region,
    service: "sts",
    sha256: Hash.bind(null, "sha256"),
  });
  const presigned = await signer.presign(
    new HttpRequest({
      method: "GET",
      protocol: "https:",
      hostname,
      path: "/",
      query: { Action: "GetCallerIdentity", Version: "2011-06-15" },
      headers: { host: hostname, "x-k8s-aws-id": options.clusterName },
    }),
    // 60 s is what the AWS CLI and aws-iam-authenticator use; the server enforces its own 15 minutes.
    { expiresIn: 60, signingDate },
  );
  const url = new URL(`https://${hostname}/`);
  for (const [key, value] of Object.entries(presigned.query ?? {})) {
    for (const item of [value ?? ""].flat()) url.searchParams.append(key, item);
  }
  return {
    token: `k8s-aws-v1.${Buffer.from(url.toString()).toString("base64url")}`,
    expiresAt: new Date(signingDate.getTime() + TOKEN_LIFETIME_MS),
  };
}

/** Renew this long before the 15 minutes run out, so a request in flight never carries an expired token. */
const renewMarginMs = 5 * 60 * 1000;

/** The current token for each request of a long deploy, made anew when it nears its end. */
export function renewingToken(create: () => Promise<EksToken>, now: () => number = Date.now): () => Promise<string> {
  let current: Promise<EksToken> | undefined;
  return async () => {
    if (!current || (await current).expiresAt.getTime() - now() < renewMarginMs) {
      current = create();
      // A failed attempt is not kept: the next request tries again.
      current.catch(() => (current = undefined));
    }
    return (await current).token;
  };
}
