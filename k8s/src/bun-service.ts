import { createHash } from "node:crypto";
import { ApiObject, Duration, JsonPatch, Size } from "cdk8s";
import * as kplus from "cdk8s-plus-33";
import { Construct } from "constructs";
import { namespace, type WorkloadConfig } from "./config.ts";
import type { ServiceEnvironment } from "./service-config.ts";
import {
  podSecurityContext,
  podsOf,
  restrictedContainerSecurityContext,
  selectorLabels,
  spreadAcrossZonesAndNodes,
  withoutGeneratedAddressLabel,
} from "./pods.ts";

export interface BunServiceProps {
  name: string;
  image: string;
  port: number;
  workload: WorkloadConfig;
  /** Request and limit alike: memory is not compressible, so a pod never relies on memory it may not get. */
  memoryMiB: number;
  environment: ServiceEnvironment<string>;
}

/** Annotation on the pod template holding a hash of the ConfigMap, so a config change rolls the pods. */
export const configHashAnnotation = "checksum/config";

/**
 * One of our Bun services: ServiceAccount, ConfigMap, Deployment, ClusterIP Service, HorizontalPodAutoscaler and
 * PodDisruptionBudget, hardened alike.
 */
export class BunService extends Construct {
  readonly service: kplus.Service;
  readonly container: kplus.Container;

  constructor(scope: Construct, id: string, props: BunServiceProps) {
    super(scope, id);
    const { name, workload } = props;
    const metadata = { name, namespace };
    const labels = selectorLabels(name);
    const values = definedEntries(props.environment.values);

    const serviceAccount = new kplus.ServiceAccount(this, "service-account", { metadata, automountToken: false });
    const configMap = new kplus.ConfigMap(this, "config", { metadata, data: values });

    const deployment = new kplus.Deployment(this, "deployment", {
      metadata,
      select: false,
      podMetadata: { labels, annotations: { [configHashAnnotation]: hashOf(values) } },
      serviceAccount,
      automountServiceAccountToken: false,
      securityContext: podSecurityContext,
      // Zero-downtime rollouts: a new pod is ready before an old one goes.
      strategy: kplus.DeploymentStrategy.rollingUpdate({
        maxSurge: kplus.PercentOrAbsolute.absolute(1),
        maxUnavailable: kplus.PercentOrAbsolute.absolute(0),
      }),
      // Drain, then give the service's graceful shutdown time to finish in-flight requests.
      terminationGracePeriod: Duration.seconds(workload.drainSeconds + 30),
    });
    deployment.select(kplus.LabelSelector.of({ labels }));

    const tmp = kplus.Volume.fromEmptyDir(this, "tmp", "tmp", { sizeLimit: Size.mebibytes(64) });
    const probe = (path: string, options: kplus.HttpGetProbeOptions = {}) =>
      kplus.Probe.fromHttpGet(path, { port: props.port, timeoutSeconds: Duration.seconds(2), ...options });
    this.container = deployment.addContainer({
      name,
      image: props.image,
      imagePullPolicy: kplus.ImagePullPolicy.ALWAYS,
      ports: [{ number: props.port, name: "http" }],
      envFrom: [kplus.Env.fromConfigMap(configMap)],
      envVariables: Object.fromEntries(
        Object.entries(definedEntries(props.environment.secrets)).map(([variable, ref]) => [
          variable,
          kplus.EnvValue.fromSecretValue({
            secret: kplus.Secret.fromSecretName(this, `secret-${variable}`, ref.name),
            key: ref.key,
          }),
        ]),
      ),
      resources: {
        cpu: {
          request: kplus.Cpu.millis(workload.cpu.requestMillis),
          limit: kplus.Cpu.millis(workload.cpu.limitMillis),
        },
        memory: { request: Size.mebibytes(props.memoryMiB), limit: Size.mebibytes(props.memoryMiB) },
        ephemeralStorage: { request: Size.gibibytes(0.25), limit: Size.gibibytes(1) },
      },
      securityContext: restrictedContainerSecurityContext,
      startup: probe("/health", { periodSeconds: Duration.seconds(2), failureThreshold: 30 }),
      liveness: probe("/health", { periodSeconds: Duration.seconds(10), failureThreshold: 3 }),
      readiness: probe("/ready", { periodSeconds: Duration.seconds(5), failureThreshold: 2 }),
      // Bun writes temporary files; the root filesystem is read-only.
      volumeMounts: [{ path: "/tmp", volume: tmp }],
    });

    withoutGeneratedAddressLabel(deployment);
    // cdk8s-plus 33 has no handler for the built-in sleep action (beta and on by default since Kubernetes 1.30);
    // it needs no shell or `sleep` binary in the image.
    ApiObject.of(deployment).addJsonPatch(
      JsonPatch.add("/spec/template/spec/containers/0/lifecycle", {
        preStop: { sleep: { seconds: workload.drainSeconds } },
      }),
      JsonPatch.add("/spec/template/spec/topologySpreadConstraints", spreadAcrossZonesAndNodes(labels)),
    );

    this.service = new kplus.Service(this, "service", {
      metadata,
      type: kplus.ServiceType.CLUSTER_IP,
      selector: podsOf(this, name),
      ports: [{ name: "http", port: 80, targetPort: props.port }],
    });

    new kplus.HorizontalPodAutoscaler(this, "autoscaler", {
      metadata,
      target: deployment,
      minReplicas: workload.replicas.min,
      maxReplicas: workload.replicas.max,
      metrics: [kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(workload.targetCpuUtilizationPercent))],
    });

    new kplus.k8s.KubePodDisruptionBudget(this, "disruption-budget", {
      metadata,
      spec: {
        maxUnavailable: kplus.k8s.IntOrString.fromNumber(1),
        selector: { matchLabels: labels },
        // A pod that is not ready serves nobody; let node drains evict it instead of waiting on it.
        unhealthyPodEvictionPolicy: "AlwaysAllow",
      },
    });
  }
}

/** Stable over key order, so only a real change of value rolls the pods. */
function hashOf(data: Record<string, string>): string {
  const canonical = JSON.stringify(Object.entries(data).sort(([a], [b]) => a.localeCompare(b)));
  return createHash("sha256").update(canonical).digest("hex").slice(0, 16);
}

/** A partial record's set entries (the environment types are partial: not every variable is set). */
function definedEntries<Value>(record: Partial<Record<string, Value>>): Record<string, Value> {
  return Object.fromEntries(Object.entries(record).filter((entry): entry is [string, Value] => entry[1] !== undefined));
}
