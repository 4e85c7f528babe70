import { describe, expect, test } from "bun:test";
import { environmentConfigs, environments, synthManifests } from "@accounts/k8s";
import type { KubeObject } from "./objects.ts";
import { generateEncryptionKey } from "@accounts/shared/secrets";
import { readSecretInputs, SecretInputError, secretInputNames, secretObjects } from "./secrets.ts";
import { secretInputs, signingKey } from "./testing/cluster.ts";

const dev = { ...environmentConfigs.dev, imageTag: "v1" };
const prod = { ...environmentConfigs.prod, imageTag: "v1" };
const ttlMs = dev.authApi.jwtTtlSeconds * 1000;

describe("secret inputs", () => {
  test("the deploy workflow passes every input either environment needs", async () => {
    const workflow = await Bun.file(new URL("../../.github/workflows/deploy.yml", import.meta.url)).text();
    const passed = new Set(
      [...workflow.matchAll(/^\s+(\w+): \$\{\{ secrets\.(\w+) \}\}$/gm)]
        .filter(([, a, b]) => a === b)
        .map(([, name]) => name),
    );
    const needed = new Set(
      environments.flatMap((environment) => secretInputNames({ ...environmentConfigs[environment], imageTag: "v1" })),
    );
    expect([...needed].filter((name) => !passed.has(name))).toEqual([]);
  });

  test("a missing one is named (all of them at once), never a value", async () => {
    const { INTERNAL_TOKEN, MONGODB_URI, ...env } = await secretInputs();
    await expect(readSecretInputs(prod, { env })).rejects.toThrow(
      new SecretInputError(
        "missing secrets INTERNAL_TOKEN, MONGODB_URI: set them as environment variables (or use --secrets-dir)",
      ),
    );
  });

  test("an empty variable counts as missing (an unset GitHub secret expands to it)", async () => {
    await expect(readSecretInputs(prod, { env: { ...(await secretInputs()), MONGODB_URI: "" } })).rejects.toThrow(
      "missing secret MONGODB_URI",
    );
  });

  // auth-api's loadKeys decides, so these are the messages auth-api itself would start with.
  const refusal = async (key: string) => {
    const env = { ...(await secretInputs()), JWT_SIGNING_KEY: key };
    const error = await readSecretInputs(prod, { env }).then(
      () => new Error("accepted"),
      (refused: Error) => refused,
    );
    expect(error).toBeInstanceOf(SecretInputError);
    return error.message;
  };
  const hint = " (bun run deploy -- generate-secrets makes a valid one)";

  test("a signing key that is not JSON is refused, naming the variable", async () => {
    expect(await refusal("not json")).toBe(`JWT_SIGNING_KEY: is not valid JSON${hint}`);
  });

  test("a public key is refused without echoing it", async () => {
    const { d, ...publicOnly } = JSON.parse(await signingKey());
    expect(await refusal(JSON.stringify(publicOnly))).toBe(
      `JWT_SIGNING_KEY: expected a private Ed25519 JWK (with d) for alg EdDSA${hint}`,
    );
  });

  test("a key whose private part does not match x is refused without echoing it", async () => {
    const key = JSON.parse(await signingKey());
    const other = JSON.parse(await signingKey());
    const message = await refusal(JSON.stringify({ ...key, d: other.d }));
    expect(message).toBe(`JWT_SIGNING_KEY: not a usable Ed25519 key pair (d must match x)${hint}`);
    expect(message).not.toContain(other.d);
  });

  test("a short INTERNAL_TOKEN is refused at the services' minimum", async () => {
    const env = await secretInputs();
    await expect(readSecretInputs(prod, { env: { ...env, INTERNAL_TOKEN: "t".repeat(31) } })).rejects.toThrow(
      new SecretInputError(`INTERNAL_TOKEN: Expected string length greater or equal to 32${hint}`),
    );
    expect(
      (await readSecretInputs(prod, { env: { ...env, INTERNAL_TOKEN: "t".repeat(32) } })).get("INTERNAL_TOKEN"),
    ).toBe("t".repeat(32));
  });

  test("ADMIN_TOKEN is required and follows users-api's rules for it, refused without echoing it", async () => {
    const { ADMIN_TOKEN: _, ...env } = await secretInputs();
    await expect(readSecretInputs(prod, { env })).rejects.toThrow("missing secret ADMIN_TOKEN");
    const short = "a".repeat(31);
    const message = await readSecretInputs(prod, { env: { ...env, ADMIN_TOKEN: short } }).then(
      () => "accepted",
      (error: Error) => error.message,
    );
    expect(message).toBe(`ADMIN_TOKEN: Expected string length greater or equal to 32${hint}`);
  });

  test("an INTERNAL_TOKEN a Bearer header cannot carry is refused without echoing it", async () => {
    const env = await secretInputs();
    const token = `${"t".repeat(40)} "quoted"`;
    const message = await readSecretInputs(prod, { env: { ...env, INTERNAL_TOKEN: token } }).then(
      () => "accepted",
      (error: Error) => error.message,
    );
    expect(message).toStartWith("INTERNAL_TOKEN: Expected string to match '^");
    expect(message).toEndWith(hint);
    expect(message).not.toContain(token);
  });
});

test.each(environments)(
  "%s: the deploy writes exactly the Secret keys the manifests reference",
  async (environment) => {
    const config = { ...environmentConfigs[environment], imageTag: "v1" };
    const manifests = synthManifests(environment, { imageTag: "v1" });
    const referenced = new Set<string>();
    type Container = { env?: Array<{ valueFrom?: { secretKeyRef?: { name: string; key: string } } }> };
    for (const workload of manifests.filter((object) => ["Deployment", "StatefulSet"].includes(object.kind)))
      for (const container of (workload.spec as { template: { spec: { containers: Container[] } } }).template.spec
        .containers)
        for (const variable of container.env ?? []) {
          const ref = variable.valueFrom?.secretKeyRef;
          if (ref) referenced.add(`${ref.name}/${ref.key}`);
        }
    const written = secretObjects({
      config,
      namespace: "accounts",
      values: await readSecretInputs(config, { env: await secretInputs() }),
      liveJwtSecret: undefined,
      liveMfaSecret: undefined,
      rolloutDeadline: new Date(),
      now: new Date(),
    }).flatMap((secret) =>
      Object.keys(secret.data as Record<string, string>).map((key) => `${secret.metadata.name}/${key}`),
    );
    // JWT_PREVIOUS_PUBLIC_KEYS is written empty on a first deploy: auth-api reads it, so it is referenced too.
    expect(written.toSorted()).toEqual([...referenced].toSorted());
  },
);

describe("signing key rotation", () => {
  const now = new Date("2026-06-01T12:00:00Z");
  const rolloutDeadline = new Date(now.getTime() + 600_000);
  const jwtSecret = (objects: KubeObject[]) => objects.find((object) => object.metadata.name === "auth-api-jwt")!;
  const previousKeys = (secret: KubeObject) =>
    JSON.parse(
      Buffer.from((secret.data as Record<string, string>).JWT_PREVIOUS_PUBLIC_KEYS!, "base64").toString(),
    ) as Array<{ kid: string; d?: string }>;
  const deployWith = async (key: string, live: KubeObject | undefined, at: Date) =>
    jwtSecret(
      secretObjects({
        config: dev,
        namespace: "accounts",
        values: await readSecretInputs(dev, { env: { ...(await secretInputs()), JWT_SIGNING_KEY: key } }),
        liveJwtSecret: live,
        liveMfaSecret: undefined,
        rolloutDeadline: new Date(at.getTime() + 600_000),
        now: at,
      }),
    );

  test("keeps the old public key until the rollout deadline plus the token lifetime, then drops it", async () => {
    const first = await signingKey();
    const second = await signingKey();
    const initial = await deployWith(first, undefined, now);
    expect(previousKeys(initial)).toEqual([]);

    const rotated = await deployWith(second, initial, now);
    const kept = previousKeys(rotated);
    expect(kept.map((jwk) => jwk.kid)).toEqual([JSON.parse(first).kid]);
    expect(kept[0]).not.toHaveProperty("d");
    const expiries = JSON.parse(rotated.metadata.annotations!["accounts-deploy/previous-keys-expire-at"]!);
    expect(new Date(expiries[JSON.parse(first).kid]).getTime()).toBe(rolloutDeadline.getTime() + ttlMs);

    // Same key again before the expiry: nothing changes (a no-op deploy stays a no-op).
    const again = await deployWith(second, rotated, new Date(now.getTime() + ttlMs));
    expect(again).toEqual(rotated);

    const later = await deployWith(second, rotated, new Date(rolloutDeadline.getTime() + ttlMs + 1000));
    expect(previousKeys(later)).toEqual([]);
  });
});

describe("MFA key rotation", () => {
  const mfaSecret = (objects: KubeObject[]) =>
    objects.find((object) => object.metadata.name === "users-api-mfa-encryption")!;
  const decoded = (secret: KubeObject) =>
    Object.fromEntries(
      Object.entries(secret.data as Record<string, string>).map(([key, text]) => [
        key,
        Buffer.from(text, "base64").toString(),
      ]),
    );
  const deployWith = async (key: string, live: KubeObject | undefined) =>
    mfaSecret(
      secretObjects({
        config: dev,
        namespace: "accounts",
        values: await readSecretInputs(dev, { env: { ...(await secretInputs()), MFA_ENCRYPTION_KEY: key } }),
        liveJwtSecret: undefined,
        liveMfaSecret: live,
        rolloutDeadline: new Date(),
        now: new Date(),
      }),
    );

  test("a new key keeps every earlier one among the previous keys, for secrets not sealed again yet", async () => {
    const [first, second, third] = [generateEncryptionKey(), generateEncryptionKey(), generateEncryptionKey()];
    const initial = await deployWith(first, undefined);
    expect(decoded(initial)).toEqual({ MFA_ENCRYPTION_KEY: first, MFA_PREVIOUS_ENCRYPTION_KEYS: "" });
    // The same key again changes nothing.
    expect(await deployWith(first, initial)).toEqual(initial);
    const rotated = await deployWith(second, initial);
    expect(decoded(rotated)).toEqual({ MFA_ENCRYPTION_KEY: second, MFA_PREVIOUS_ENCRYPTION_KEYS: first });
    expect(decoded(await deployWith(third, rotated))).toEqual({
      MFA_ENCRYPTION_KEY: third,
      MFA_PREVIOUS_ENCRYPTION_KEYS: `${second},${first}`,
    });
    // Back to a previous key: it is the current one again, not also a previous one.
    expect(decoded(await deployWith(first, rotated))).toEqual({
      MFA_ENCRYPTION_KEY: first,
      MFA_PREVIOUS_ENCRYPTION_KEYS: second,
    });
  });
});
