import { t, type Static } from "elysia";

export const PublicJwk = t.Object({
  kty: t.Literal("OKP"),
  crv: t.Literal("Ed25519"),
  x: t.String(),
  kid: t.String(),
  alg: t.Literal("EdDSA"),
  use: t.Literal("sig"),
});

export const Jwks = t.Object({ keys: t.Array(PublicJwk) });
export type Jwks = Static<typeof Jwks>;
