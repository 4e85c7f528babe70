import { App } from "cdk8s";
import { AccountsChart } from "./chart.ts";
import { type Environment, type EnvironmentConfig, environmentConfigs, validateConfig } from "./config.ts";

export * from "./config.ts";

/** A synthesized object as plain JSON (the deploy tool's objects are these, and what the API server returns). */
export interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [field: string]: unknown;
  };
  [field: string]: unknown;
}
export { configHashAnnotation } from "./bun-service.ts";
export { type PodSpecJson, secretNamesUsedBy } from "./secret-references.ts";
export { configSchemas } from "./service-config.ts";
export { selectorLabels } from "./pods.ts";

/**
 * The manifests of one environment as plain JSON objects, in apply order, exactly as `bun run synth` writes them
 * to `k8s/dist/<environment>.k8s.yaml`. `imageTag` has no default: pass the commit being deployed.
 */
export function synthManifests(
  environment: Environment,
  overrides: Partial<EnvironmentConfig> & Pick<EnvironmentConfig, "imageTag">,
): ManifestObject[] {
  const config: EnvironmentConfig = { ...environmentConfigs[environment], ...overrides, environment };
  validateConfig(config);
  const app = new App();
  const chart = new AccountsChart(app, config);
  return chart.toJson();
}
