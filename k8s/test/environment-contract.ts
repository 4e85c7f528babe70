// The environment contract between the services and the manifests, checked against the services' own config
// schemas (the same ones they validate their environment with at start), never against a list kept here.
import { loadConfig, Type } from "@accounts/shared/config";
import { configSchemas } from "../src/manifests.ts";
import { type KubeObject, named, templateOf } from "./objects.ts";

export type BunServiceName = keyof typeof configSchemas;

/**
 * What is wrong with the environment a service's pod gets: a variable its config schema does not declare, a required
 * one (no default in the schema) that gets no value, or a plain value the service's own validation refuses.
 */
export function environmentProblems(objects: KubeObject[], name: BunServiceName): string[] {
  // Either service's schema, as the one type loadConfig takes.
  const schema: Parameters<typeof loadConfig>[0] = configSchemas[name];
  const declared = Object.keys(schema.properties);
  const required = (schema.required ?? []).filter((variable) => schema.properties[variable]?.default === undefined);
  const [container] = templateOf(objects, name).spec.containers;
  const problems: string[] = [];
  const values: Record<string, string> = {};
  const fromSecrets: string[] = [];
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) Object.assign(values, named(objects, "ConfigMap", source.configMapRef.name).data);
    else problems.push(`envFrom ${JSON.stringify(source)}: only a ConfigMap, whose keys synth knows, is expected`);
  }
  for (const variable of container.env ?? []) {
    if (variable.valueFrom?.secretKeyRef) fromSecrets.push(variable.name);
    else if (typeof variable.value === "string") values[variable.name] = variable.value;
    else problems.push(`${variable.name}: neither a value nor a secretKeyRef`);
  }
  const set = new Set([...Object.keys(values), ...fromSecrets]);
  for (const variable of set)
    if (!declared.includes(variable))
      problems.push(`${variable}: set, but ${name}'s config schema does not declare it`);
  for (const variable of required)
    if (!set.has(variable))
      problems.push(`${variable}: required by ${name}'s config schema, but the pod does not set it`);
  const plain = Object.keys(values).filter((variable) => declared.includes(variable));
  try {
    loadConfig(Type.Pick(schema, plain), values);
  } catch (error) {
    problems.push((error as Error).message);
  }
  return problems;
}
