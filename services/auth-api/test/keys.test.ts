import { describe, expect, test } from "bun:test";
import { ConfigError } from "@accounts/shared";
import { generateSigningKey } from "../src/keys/generate.ts";
import { loadKeys } from "../src/keys/load.ts";

const load = (JWT_SIGNING_KEY: string, JWT_PREVIOUS_PUBLIC_KEYS = "[]") =>
  loadKeys({ JWT_SIGNING_KEY, JWT_PREVIOUS_PUBLIC_KEYS });

async function configError(promise: Promise<unknown>) {
  const error = await promise.catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(ConfigError);
  return (error as Error).message;
}

describe("signing keys", () => {
  test("generateSigningKey gives an Ed25519 pair with a thumbprint kid that loads", async () => {
    const { privateJwk, publicJwk } = await generateSigningKey();
    expect(privateJwk).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig", kid: publicJwk.kid });
    expect(privateJwk.d).toBeString();
    expect(publicJwk).not.toHaveProperty("d");
    expect(publicJwk.kid).toMatch(/^[\w-]{43}$/);
    const keys = await load(JSON.stringify(privateJwk));
    expect(keys.kid).toBe(publicJwk.kid!);
    expect(keys.publicJwks).toEqual([publicJwk]);
  });

  test("two generated keys differ", async () => {
    const [a, b] = await Promise.all([generateSigningKey(), generateSigningKey()]);
    expect(a.publicJwk.kid).not.toBe(b.publicJwk.kid);
  });

  test("bad keys stop the start with a message naming the variable and not the key", async () => {
    const { privateJwk, publicJwk } = await generateSigningKey();
    const other = await generateSigningKey();
    expect(await configError(load("{not json"))).toContain("JWT_SIGNING_KEY: is not valid JSON");
    expect(await configError(load(JSON.stringify(publicJwk)))).toContain(
      "JWT_SIGNING_KEY: expected a private Ed25519 JWK",
    );
    const mismatched = await configError(load(JSON.stringify({ ...privateJwk, d: other.privateJwk.d })));
    expect(mismatched).toContain("JWT_SIGNING_KEY: not a usable Ed25519 key pair");
    expect(mismatched).not.toContain(privateJwk.d!);
    expect(mismatched).not.toContain(other.privateJwk.d!);
    expect(await configError(load(JSON.stringify({ kty: "RSA", n: "x", e: "AQAB", d: "x", kid: "r" })))).toContain(
      "JWT_SIGNING_KEY: expected Ed25519",
    );
    expect(await configError(load(JSON.stringify(privateJwk), "{}"))).toContain(
      "JWT_PREVIOUS_PUBLIC_KEYS: expected a JSON array",
    );
    expect(await configError(load(JSON.stringify(privateJwk), '[{"kty":"OKP"}]'))).toContain(
      "JWT_PREVIOUS_PUBLIC_KEYS: expected Ed25519",
    );
  });

  test("the CLI prints a private JWK that loads", async () => {
    const cli = Bun.spawn(["bun", `${import.meta.dir}/../src/keys/generate.ts`], { stdout: "pipe" });
    const output = await new Response(cli.stdout).text();
    expect(await cli.exited).toBe(0);
    expect(output.trim().split("\n")).toHaveLength(1);
    const keys = await load(output.trim());
    expect(keys.publicJwks).toHaveLength(1);
  });
});
