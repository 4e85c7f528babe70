import { describe, expect, test } from "bun:test";
import { environmentConfigs } from "../../k8s/src/manifests.ts";
import type { KubeObject } from "./objects.ts";
import { readSecretInputs, SecretInputError, secretObjects } from "./secrets.ts";
import { secretInputs, signingKey } from "./testing/cluster.ts";

const dev = { ...environmentConfigs.dev, imageTag: "v1" };
const prod = { ...environmentConfigs.prod, imageTag: "v1" };
const ttlMs = dev.authApi.jwtTtlSeconds * 1000;

describe("secret inputs", () => {
  test("a missing one is named (all of them at once), never a value", () => {
    const { INTERNAL_TOKEN, MONGODB_URI, ...env } = secretInputs();
    expect(() => readSecretInputs(prod, { env })).toThrow(
      new SecretInputError(
        "missing secrets INTERNAL_TOKEN, MONGODB_URI: set them as environment variables (or use --secrets-dir)",
      ),
    );
  });

  test("an empty variable counts as missing (an unset GitHub secret expands to it)", () => {
    expect(() => readSecretInputs(prod, { env: { ...secretInputs(), MONGODB_URI: "" } })).toThrow(
      "missing secret MONGODB_URI",
    );
  });

  test("a signing key that is not a private JWK with a kid is refused without echoing it", () => {
    const { kid, d, ...publicOnly } = JSON.parse(signingKey());
    try {
      readSecretInputs(prod, { env: { ...secretInputs(), JWT_SIGNING_KEY: JSON.stringify({ ...publicOnly, kid }) } });
      throw new Error("accepted a public key");
    } catch (error) {
      expect((error as Error).message).toBe("JWT_SIGNING_KEY must be a private JWK with a kid");
    }
  });
});

describe("signing key rotation", () => {
  const now = new Date("2026-06-01T12:00:00Z");
  const rolloutDeadline = new Date(now.getTime() + 600_000);
  const jwtSecret = (objects: KubeObject[]) => objects.find((object) => object.metadata.name === "auth-api-jwt")!;
  const previousKeys = (secret: KubeObject) =>
    JSON.parse(
      Buffer.from((secret.data as Record<string, string>).JWT_PREVIOUS_PUBLIC_KEYS!, "base64").toString(),
    ) as Array<{ kid: string; d?: string }>;
  const deployWith = (key: string, live: KubeObject | undefined, at: Date) =>
    jwtSecret(
      secretObjects({
        config: dev,
        namespace: "accounts",
        values: readSecretInputs(dev, { env: { ...secretInputs(), JWT_SIGNING_KEY: key } }),
        liveJwtSecret: live,
        rolloutDeadline: new Date(at.getTime() + 600_000),
        now: at,
      }),
    );

  test("keeps the old public key until the rollout deadline plus the token lifetime, then drops it", () => {
    const first = signingKey();
    const second = signingKey();
    const initial = deployWith(first, undefined, now);
    expect(previousKeys(initial)).toEqual([]);

    const rotated = deployWith(second, initial, now);
    const kept = previousKeys(rotated);
    expect(kept.map((jwk) => jwk.kid)).toEqual([JSON.parse(first).kid]);
    expect(kept[0]).not.toHaveProperty("d");
    const expiries = JSON.parse(rotated.metadata.annotations!["accounts-deploy/previous-keys-expire-at"]!);
    expect(new Date(expiries[JSON.parse(first).kid]).getTime()).toBe(rolloutDeadline.getTime() + ttlMs);

    // Same key again before the expiry: nothing changes (a no-op deploy stays a no-op).
    const again = deployWith(second, rotated, new Date(now.getTime() + ttlMs));
    expect(again).toEqual(rotated);

    const later = deployWith(second, rotated, new Date(rolloutDeadline.getTime() + ttlMs + 1000));
    expect(previousKeys(later)).toEqual([]);
  });
});
