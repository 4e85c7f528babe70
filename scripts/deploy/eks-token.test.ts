// AWS cannot be reached from here, so this checks the token offline: fixed credentials and a fixed clock,
// then the presigned URL is decoded and its SigV4 signature recomputed independently with node:crypto.
import { describe, expect, test } from "bun:test";
import { createHash, createHmac } from "node:crypto";
import { createEksToken, renewingToken, TOKEN_LIFETIME_MS } from "./eks-token.ts";

const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };
const now = new Date("2026-01-02T03:04:05Z");

const decode = (token: string) => new URL(Buffer.from(token.slice("k8s-aws-v1.".length), "base64url").toString());

describe("EKS token", () => {
  test("is k8s-aws-v1. + unpadded base64url of a presigned STS GetCallerIdentity URL", async () => {
    const { token } = await createEksToken({ clusterName: "accounts", region: "eu-west-1", credentials, now });
    expect(token).toMatch(/^k8s-aws-v1\.[A-Za-z0-9_-]+$/);
    const url = decode(token);
    expect(url.protocol).toBe("https:");
    expect(url.host).toBe("sts.eu-west-1.amazonaws.com");
    expect(url.searchParams.get("Action")).toBe("GetCallerIdentity");
    expect(url.searchParams.get("Version")).toBe("2011-06-15");
    expect(url.searchParams.get("X-Amz-Algorithm")).toBe("AWS4-HMAC-SHA256");
    expect(url.searchParams.get("X-Amz-Credential")).toBe("AKIDEXAMPLE/20260102/eu-west-1/sts/aws4_request");
    expect(url.searchParams.get("X-Amz-Date")).toBe("20260102T030405Z");
    expect(url.searchParams.get("X-Amz-Expires")).toBe("60");
    expect(url.searchParams.get("X-Amz-SignedHeaders")?.split(";")).toEqual(["host", "x-k8s-aws-id"]);
  });

  test("lives 15 minutes from its signing time", async () => {
    const { expiresAt } = await createEksToken({ clusterName: "accounts", region: "eu-west-1", credentials, now });
    expect(expiresAt.getTime() - now.getTime()).toBe(TOKEN_LIFETIME_MS);
    expect(TOKEN_LIFETIME_MS).toBe(15 * 60 * 1000);
  });

  test("signs the cluster name: the signature matches a SigV4 computed here, and differs for another cluster", async () => {
    const sign = async (clusterName: string) =>
      decode((await createEksToken({ clusterName, region: "eu-west-1", credentials, now })).token);
    const url = await sign("accounts");
    expect(url.searchParams.get("X-Amz-Signature")).toBe(expectedSignature(url, "accounts"));
    expect((await sign("other")).searchParams.get("X-Amz-Signature")).not.toBe(url.searchParams.get("X-Amz-Signature"));
  });

  test("carries the session token of temporary (web identity) credentials", async () => {
    const { token } = await createEksToken({
      clusterName: "accounts",
      region: "us-east-1",
      credentials: { ...credentials, sessionToken: "session/token+with=chars" },
      now,
    });
    const url = decode(token);
    expect(url.searchParams.get("X-Amz-Security-Token")).toBe("session/token+with=chars");
    expect(url.searchParams.get("X-Amz-Signature")).toBe(expectedSignature(url, "accounts"));
  });

  test("a long deploy gets a new token before the old one's 15 minutes run out", async () => {
    let clock = now.getTime();
    let made = 0;
    const token = renewingToken(
      async () => {
        made += 1;
        return createEksToken({ clusterName: "accounts", region: "eu-west-1", credentials, now: new Date(clock) });
      },
      () => clock,
    );
    const first = await token();
    clock += 9 * 60 * 1000;
    expect(await token()).toBe(first);
    clock += 2 * 60 * 1000; // 11 minutes in: under 5 left
    const second = await token();
    expect(second).not.toBe(first);
    expect(decode(second).searchParams.get("X-Amz-Date")).toBe("20260102T031505Z");
    expect(made).toBe(2);
  });
});

/** SigV4 query-string signing, written out from the AWS documentation. */
function expectedSignature(url: URL, clusterName: string): string {
  const encode = (value: string) =>
    encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const query = [...url.searchParams]
    .filter(([key]) => key !== "X-Amz-Signature")
    .map(([key, value]) => `${encode(key)}=${encode(value)}`)
    .sort()
    .join("&");
  const canonicalRequest = [
    "GET",
    "/",
    query,
    `host:${url.host}\nx-k8s-aws-id:${clusterName}\n`,
    "host;x-k8s-aws-id",
    createHash("sha256").update("").digest("hex"),
  ].join("\n");
  const date = url.searchParams.get("X-Amz-Date")!;
  const scope = `${date.slice(0, 8)}/${url.host.split(".")[1]}/sts/aws4_request`;
  const stringToSign = [
    "AWS4-HMAC-SHA256",
    date,
    scope,
    createHash("sha256").update(canonicalRequest).digest("hex"),
  ].join("\n");
  const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data).digest();
  let key: Buffer = hmac(`AWS4${credentials.secretAccessKey}`, date.slice(0, 8));
  for (const part of scope.split("/").slice(1)) key = hmac(key, part);
  return createHmac("sha256", key).update(stringToSign).digest("hex");
}
