import { Elysia } from "elysia";
import type { SigningKeys } from "../keys/load.ts";
import { Jwks } from "./schemas.ts";

export const jwks = (keys: SigningKeys) =>
  new Elysia({ name: "jwks" }).get("/.well-known/jwks.json", () => ({ keys: keys.publicJwks }) as Jwks, {
    response: { 200: Jwks },
    detail: {
      tags: ["tokens"],
      summary: "Public keys that verify tokens",
      description:
        "The current signing key first, then keys rotated out but still accepted. Public: no credential needed.",
    },
  });
