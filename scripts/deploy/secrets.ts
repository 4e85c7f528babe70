// Secret values come from the deploy environment (variables, or files in --secrets-dir) and go straight into
// Secret objects: they are never printed, and errors name the variable, never its value.
import { createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadKeys } from "@accounts/auth-api/keys/load";
import { appPartOfLabel, type EnvironmentConfig, inClusterMongodbUri, secrets } from "@accounts/k8s";
import { InternalTokenSchema, loadConfig, Type } from "@accounts/shared/config";
import { UsersConfigSchema } from "@accounts/users-api/config";
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
  names.push(secrets.smtp.keys.url, secrets.mfaEncryption.keys.key, secrets.adminToken.keys.token);
  return names;
}

/**
 * Reads every input; a missing or malformed one stops the deploy here, before anything is applied (so no Secret is
 * replaced by a value auth-api would refuse to start with).
 */
export async function readSecretInputs(
  config: EnvironmentConfig,
  source: { env: Record<string, string | undefined>; dir?: string },
): Promise<Map<string, string>> {
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
  await validateSigningKey(values.get(secrets.jwt.keys.signingKey)!);
  validateWith({ INTERNAL_TOKEN: InternalTokenSchema }, values);
  validateWith({ MFA_ENCRYPTION_KEY: UsersConfigSchema.properties.MFA_ENCRYPTION_KEY }, values);
  validateWith({ ADMIN_TOKEN: UsersConfigSchema.properties.ADMIN_TOKEN }, values);
  return values;
}

/**
 * The services' own checks (the internal and admin tokens long enough and Bearer-safe, the MFA key 32 bytes of
 * base64).
 */
function validateWith(schema: Parameters<typeof Type.Object>[0], values: Map<string, string>): void {
  try {
    loadConfig(Type.Object(schema), Object.fromEntries(Object.keys(schema).map((name) => [name, values.get(name)])));
  } catch (error) {
    const reason = (error as Error).message.replace(/^Invalid configuration:\s*/, "");
    throw new SecretInputError(`${reason} (bun run deploy -- generate-secrets makes a valid one)`);
  }
}

/** auth-api's own check (the one it starts with), so a key it would refuse never reaches the cluster. */
async function validateSigningKey(privateJwk: string): Promise<void> {
  try {
    await loadKeys({ JWT_SIGNING_KEY: privateJwk, JWT_PREVIOUS_PUBLIC_KEYS: "[]" });
  } catch (error) {
    // A ConfigError's message names the variable and the rule, never the value.
    const reason = (error as Error).message.replace(/^Invalid configuration:\s*/, "");
    throw new SecretInputError(`${reason} (bun run deploy -- generate-secrets makes a valid one)`);
  }
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

/** The kid of a signing key readSecretInputs accepted (or that an earlier deploy wrote). */
const keyId = (privateJwk: string) => (JSON.parse(privateJwk) as Jwk).kid;

function publicJwk(privateJwk: string): Jwk {
  const { kid, alg, use } = JSON.parse(privateJwk) as Jwk;
  const exported = createPublicKey({ key: JSON.parse(privateJwk), format: "jwk" }).export({ format: "jwk" });
  return { ...exported, kid, ...(alg ? { alg } : {}), ...(use ? { use } : {}) };
}

/** A value of a live Secret, decoded. */
const liveValue = (secret: KubeObject | undefined, key: string) => {
  const data = (secret?.data ?? {}) as Record<string, string>;
  return data[key] ? Buffer.from(data[key], "base64").toString("utf8") : undefined;
};

/**
 * MFA_PREVIOUS_ENCRYPTION_KEYS for this deploy: when MFA_ENCRYPTION_KEY changed since the live Secret was written,
 * the old key joins the previous ones. They are kept for good: a TOTP secret is sealed again under the new key only
 * when it is next used, and one never used since would otherwise stop opening.
 */
function previousEncryptionKeys(liveMfaSecret: KubeObject | undefined, key: string): string {
  const { key: keyName, previousKeys } = secrets.mfaEncryption.keys;
  const live = liveValue(liveMfaSecret, keyName);
  const kept = (liveValue(liveMfaSecret, previousKeys) ?? "").split(",").filter(Boolean);
  return [...new Set([...(live ? [live] : []), ...kept])].filter((previous) => previous !== key).join(",");
}

/**
 * The Secret objects for this deploy. When the signing key changed since the live Secret was written, the old
 * public key stays in JWT_PREVIOUS_PUBLIC_KEYS until every token it signed has expired: old pods keep signing with
 * it until the rollout replaces them, so that is the end of the rollout plus auth-api's token lifetime. A changed
 * MFA key is rotated too (previousEncryptionKeys).
 */
export function secretObjects(options: {
  config: EnvironmentConfig;
  namespace: string;
  values: Map<string, string>;
  liveJwtSecret: KubeObject | undefined;
  liveMfaSecret: KubeObject | undefined;
  rolloutDeadline: Date;
  now: Date;
}): KubeObject[] {
  const { config, namespace, values, liveJwtSecret, liveMfaSecret, now } = options;
  const value = (name: string) => values.get(name)!;
  const { signingKey, previousPublicKeys } = secrets.jwt.keys;

  const decode = (key: string) => liveValue(liveJwtSecret, key);
  const expiries = JSON.parse(liveJwtSecret?.metadata.annotations?.[previousKeysExpiryAnnotation] ?? "{}") as Record<
    string,
    string
  >;
  let previous = (JSON.parse(decode(previousPublicKeys) ?? "[]") as Jwk[]).filter(
    (jwk) => typeof jwk.kid === "string" && expiries[jwk.kid] !== undefined && new Date(expiries[jwk.kid]!) > now,
  );
  const liveKey = decode(signingKey);
  const newKid = keyId(value(signingKey));
  if (liveKey && keyId(liveKey) !== newKid) {
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
      labels: { [appPartOfLabel.key]: appPartOfLabel.value },
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
    secret(secrets.smtp.name, { [secrets.smtp.keys.url]: value(secrets.smtp.keys.url) }),
    secret(secrets.mfaEncryption.name, {
      [secrets.mfaEncryption.keys.key]: value(secrets.mfaEncryption.keys.key),
      [secrets.mfaEncryption.keys.previousKeys]: previousEncryptionKeys(
        liveMfaSecret,
        value(secrets.mfaEncryption.keys.key),
      ),
    }),
    secret(secrets.adminToken.name, { [secrets.adminToken.keys.token]: value(secrets.adminToken.keys.token) }),
  ];
  if (config.mongodb.mode === "in-cluster") {
    const { username, password } = secrets.mongodbRoot.keys;
    objects.push(secret(secrets.mongodbRoot.name, { [username]: value(username), [password]: value(password) }));
  }
  return objects;
}
