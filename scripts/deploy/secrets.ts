// Secret values come from the deploy environment (variables, or files in --secrets-dir) and go straight into
// Secret objects: they are never printed, and errors name the variable, never its value.
import { createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type EnvironmentConfig, inClusterMongodbUri, partOfLabel, secrets } from "../../k8s/src/manifests.ts";
import type { KubeObject } from "./objects.ts";

type Jwk = { kid?: string; d?: string; alg?: string; use?: string; [member: string]: unknown };

const previousKeysExpiryAnnotation = "accounts-deploy/previous-keys-expire-at";

export class SecretInputError extends Error {}

/** The variables a deploy of this environment needs, in the order they are reported when missing. */
export function secretInputNames(config: EnvironmentConfig): string[] {
  const names: string[] = [secrets.jwt.keys.signingKey, secrets.internalToken.keys.token];
  if (config.mongodb.mode === "in-cluster")
    names.push(secrets.mongodbRoot.keys.username, secrets.mongodbRoot.keys.password);
  else names.push(secrets.mongodbUri.keys.uri);
  return names;
}

/** Reads every input; a missing or malformed one stops the deploy here, before anything is applied. */
export function readSecretInputs(
  config: EnvironmentConfig,
  source: { env: Record<string, string | undefined>; dir?: string },
): Map<string, string> {
  const values = new Map<string, string>();
  const missing: string[] = [];
  for (const name of secretInputNames(config)) {
    const value = source.env[name] ?? readOptionalFile(source.dir, name);
    if (value) values.set(name, value);
    else missing.push(name);
  }
  if (missing.length > 0) {
    const where = source.dir
      ? `environment variables or files in ${source.dir}`
      : "environment variables (or use --secrets-dir)";
    throw new SecretInputError(
      `missing secret${missing.length > 1 ? "s" : ""} ${missing.join(", ")}: set them as ${where}`,
    );
  }
  signingKeyId(values.get(secrets.jwt.keys.signingKey)!);
  if (values.get(secrets.internalToken.keys.token)!.length < 32) {
    throw new SecretInputError(`${secrets.internalToken.keys.token} must be at least 32 characters`);
  }
  return values;
}

function readOptionalFile(dir: string | undefined, name: string): string | undefined {
  if (!dir) return undefined;
  try {
    return readFileSync(join(dir, name), "utf8").trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

function signingKeyId(json: string): string {
  const name = secrets.jwt.keys.signingKey;
  let jwk: Jwk;
  try {
    jwk = JSON.parse(json) as Jwk;
  } catch {
    throw new SecretInputError(
      `${name} is not JSON: expected a private JWK (bun run deploy -- generate-secrets makes one)`,
    );
  }
  if (typeof jwk.kid !== "string" || !jwk.kid || typeof jwk.d !== "string") {
    throw new SecretInputError(`${name} must be a private JWK with a kid`);
  }
  return jwk.kid;
}

function publicJwk(privateJwk: string): Jwk {
  const { kid, alg, use } = JSON.parse(privateJwk) as Jwk;
  const exported = createPublicKey({ key: JSON.parse(privateJwk), format: "jwk" }).export({ format: "jwk" });
  return { ...exported, kid, ...(alg ? { alg } : {}), ...(use ? { use } : {}) };
}

/**
 * The Secret objects for this deploy. When the signing key changed since the live Secret was written, the old
 * public key stays in JWT_PREVIOUS_PUBLIC_KEYS until every token it signed has expired: old pods keep signing with
 * it until the rollout replaces them, so that is the end of the rollout plus auth-api's token lifetime.
 */
export function secretObjects(options: {
  config: EnvironmentConfig;
  namespace: string;
  values: Map<string, string>;
  liveJwtSecret: KubeObject | undefined;
  rolloutDeadline: Date;
  now: Date;
}): KubeObject[] {
  const { config, namespace, values, liveJwtSecret, now } = options;
  const value = (name: string) => values.get(name)!;
  const { signingKey, previousPublicKeys } = secrets.jwt.keys;

  const liveData = (liveJwtSecret?.data ?? {}) as Record<string, string>;
  const decode = (key: string) => (liveData[key] ? Buffer.from(liveData[key], "base64").toString("utf8") : undefined);
  const expiries = JSON.parse(liveJwtSecret?.metadata.annotations?.[previousKeysExpiryAnnotation] ?? "{}") as Record<
    string,
    string
  >;
  let previous = (JSON.parse(decode(previousPublicKeys) ?? "[]") as Jwk[]).filter(
    (jwk) => typeof jwk.kid === "string" && expiries[jwk.kid] !== undefined && new Date(expiries[jwk.kid]!) > now,
  );
  const liveKey = decode(signingKey);
  const newKid = signingKeyId(value(signingKey));
  if (liveKey && signingKeyId(liveKey) !== newKid) {
    const retired = publicJwk(liveKey);
    const expiresAt = new Date(options.rolloutDeadline.getTime() + config.authApi.jwtTtlSeconds * 1000);
    previous = [...previous.filter((jwk) => jwk.kid !== retired.kid), retired];
    expiries[retired.kid as string] = expiresAt.toISOString();
  }
  previous = previous.filter((jwk) => jwk.kid !== newKid);
  const keptExpiries = Object.fromEntries(previous.map((jwk) => [jwk.kid as string, expiries[jwk.kid as string]!]));

  const mongodbUri =
    config.mongodb.mode === "in-cluster"
      ? inClusterMongodbUri(value(secrets.mongodbRoot.keys.username), value(secrets.mongodbRoot.keys.password))
      : value(secrets.mongodbUri.keys.uri);

  const secret = (name: string, data: Record<string, string>, annotations?: Record<string, string>): KubeObject => ({
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name,
      namespace,
      labels: { [partOfLabel.key]: partOfLabel.value },
      ...(annotations && { annotations }),
    },
    type: "Opaque",
    data: Object.fromEntries(Object.entries(data).map(([key, text]) => [key, Buffer.from(text).toString("base64")])),
  });
  const objects = [
    secret(
      secrets.jwt.name,
      { [signingKey]: value(signingKey), [previousPublicKeys]: JSON.stringify(previous) },
      { [previousKeysExpiryAnnotation]: JSON.stringify(keptExpiries) },
    ),
    secret(secrets.internalToken.name, { [secrets.internalToken.keys.token]: value(secrets.internalToken.keys.token) }),
    secret(secrets.mongodbUri.name, { [secrets.mongodbUri.keys.uri]: mongodbUri }),
  ];
  if (config.mongodb.mode === "in-cluster") {
    const { username, password } = secrets.mongodbRoot.keys;
    objects.push(secret(secrets.mongodbRoot.name, { [username]: value(username), [password]: value(password) }));
  }
  return objects;
}
