import { ConfigError } from "@accounts/shared/config";
import { CompactSign, compactVerify, importJWK, type CryptoKey, type JWK } from "jose";
import type { AuthConfig } from "../config.ts";

/** The key tokens are signed with, and every public key tokens may be verified against. */
export interface SigningKeys {
  kid: string;
  privateKey: CryptoKey;
  /** The current public key first, then the previous ones still accepted during a rotation. */
  publicJwks: JWK[];
}

const isEd25519 = (jwk: JWK) => jwk.kty === "OKP" && jwk.crv === "Ed25519" && typeof jwk.x === "string";

function parseJson(name: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ConfigError(`Invalid configuration:\n  ${name}: is not valid JSON`);
  }
}

function publicPart(name: string, value: unknown): JWK {
  const jwk = value as JWK;
  if (typeof value !== "object" || value === null || !isEd25519(jwk) || typeof jwk.kid !== "string" || jwk.kid === "") {
    throw new ConfigError(
      `Invalid configuration:\n  ${name}: expected Ed25519 JWKs (kty OKP, crv Ed25519, x) with a kid`,
    );
  }
  return { kty: "OKP", crv: "Ed25519", x: jwk.x, kid: jwk.kid, alg: "EdDSA", use: "sig" };
}

/** Parses and imports JWT_SIGNING_KEY and JWT_PREVIOUS_PUBLIC_KEYS; a bad value throws a ConfigError naming it. */
export async function loadKeys(
  config: Pick<AuthConfig, "JWT_SIGNING_KEY" | "JWT_PREVIOUS_PUBLIC_KEYS">,
): Promise<SigningKeys> {
  const signing = parseJson("JWT_SIGNING_KEY", config.JWT_SIGNING_KEY) as JWK;
  const current = publicPart("JWT_SIGNING_KEY", signing);
  if (typeof signing.d !== "string" || (signing.alg !== undefined && signing.alg !== "EdDSA")) {
    throw new ConfigError(
      "Invalid configuration:\n  JWT_SIGNING_KEY: expected a private Ed25519 JWK (with d) for alg EdDSA",
    );
  }
  const previous = parseJson("JWT_PREVIOUS_PUBLIC_KEYS", config.JWT_PREVIOUS_PUBLIC_KEYS);
  if (!Array.isArray(previous))
    throw new ConfigError("Invalid configuration:\n  JWT_PREVIOUS_PUBLIC_KEYS: expected a JSON array of public JWKs");
  const previousJwks = previous.map((jwk) => publicPart("JWT_PREVIOUS_PUBLIC_KEYS", jwk));
  let privateKey: CryptoKey;
  try {
    privateKey = (await importJWK({ ...signing, alg: "EdDSA" }, "EdDSA")) as CryptoKey;
    // A private part that does not match `x` would sign tokens nobody can verify: refuse to start instead.
    const probe = await new CompactSign(new Uint8Array([1])).setProtectedHeader({ alg: "EdDSA" }).sign(privateKey);
    await compactVerify(probe, await importJWK(current, "EdDSA"));
  } catch {
    throw new ConfigError("Invalid configuration:\n  JWT_SIGNING_KEY: not a usable Ed25519 key pair (d must match x)");
  }
  const publicJwks = [current, ...previousJwks.filter((jwk) => jwk.kid !== current.kid)];
  return { kid: current.kid!, privateKey, publicJwks };
}
