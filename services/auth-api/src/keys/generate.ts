import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from "jose";

/**
 * A new Ed25519 signing key as JWKs: `privateJwk` is the JWT_SIGNING_KEY value, `publicJwk` what JWKS
 * publishes (and what JWT_PREVIOUS_PUBLIC_KEYS keeps once the key is rotated out). The `kid` is the
 * key's RFC 7638 thumbprint, so it is unique without any registry.
 */
export async function generateSigningKey(): Promise<{ privateJwk: JWK; publicJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const meta = { kid, alg: "EdDSA", use: "sig" };
  return { privateJwk: { ...(await exportJWK(privateKey)), ...meta }, publicJwk: { ...publicJwk, ...meta } };
}

// `bun services/auth-api/src/keys/generate.ts` prints a private JWK, ready for JWT_SIGNING_KEY.
if (import.meta.main) console.log(JSON.stringify((await generateSigningKey()).privateJwk));
