// The services' config schemas are the contract for the environment their pods get: the manifests name variables
// through these types, so a variable renamed in a service's src/config.ts fails typecheck here, and the manifests
// tests check every pod against the schemas themselves.
import { AuthConfigSchema } from "@accounts/auth-api/config";
import { UsersConfigSchema } from "@accounts/users-api/config";
import { workloadNames } from "./config.ts";

/** Each Bun service's config schema, by workload name. */
export const configSchemas = {
  [workloadNames.usersApi]: UsersConfigSchema,
  [workloadNames.authApi]: AuthConfigSchema,
} as const;

type ConfigSchema = { properties: object };

/** The environment variables a service's config schema declares. */
export type EnvName<Schema extends ConfigSchema> = keyof Schema["properties"] & string;
export type UsersApiEnvName = EnvName<typeof UsersConfigSchema>;
export type AuthApiEnvName = EnvName<typeof AuthConfigSchema>;

export interface SecretKeyRef {
  name: string;
  key: string;
}

/** A container's environment in the service's own terms (`Name`: an EnvName), so an undeclared key fails typecheck. */
export interface ServiceEnvironment<Name extends string> {
  /** Non-secret values, written to the service's ConfigMap. */
  values: Partial<Record<Name, string>>;
  /** Variable → the Secret name and key holding its value. */
  secrets: Partial<Record<Name, SecretKeyRef>>;
}

/** Every key of a Secret as the environment variable of the same name. */
export const fromSecret = <Variable extends string>(secret: {
  name: string;
  keys: Record<string, Variable>;
}): Record<Variable, SecretKeyRef> =>
  Object.fromEntries(Object.values(secret.keys).map((key) => [key, { name: secret.name, key }])) as unknown as Record<
    Variable,
    SecretKeyRef
  >;
