import { ApiObject, Duration, JsonPatch, Size } from "cdk8s";
import * as kplus from "cdk8s-plus-33";
import { Construct } from "constructs";
import { type MongodbConfig, namespace, ports, secrets, workloadNames } from "./config.ts";
import {
  podSecurityContext,
  podsOf,
  restrictedContainerSecurityContext,
  selectorLabels,
  withoutGeneratedAddressLabel,
} from "./pods.ts";

const mongodbLabels = selectorLabels(workloadNames.mongodb);

/** Ours rather than the cluster's `gp2`/`gp3`, so a cluster that already has one keeps it unchanged. */
export const storageClassName = "accounts-gp3";

/**
 * A single MongoDB (the official image) with authentication on, for dev clusters. Production uses a managed
 * service instead (`mode: "external"`): a one-member replica set has no failover and no backups.
 */
export class InClusterMongodb extends Construct {
  constructor(scope: Construct, id: string, config: Extract<MongodbConfig, { mode: "in-cluster" }>) {
    super(scope, id);
    const name = workloadNames.mongodb;
    const metadata = { name, namespace };

    new kplus.k8s.KubeStorageClass(this, "storage-class", {
      metadata: { name: storageClassName },
      provisioner: "ebs.csi.aws.com",
      parameters: { type: "gp3", encrypted: "true" },
      // Create the volume in the zone the pod is scheduled to, not in a random one.
      volumeBindingMode: "WaitForFirstConsumer",
      allowVolumeExpansion: true,
      reclaimPolicy: "Retain",
    });

    const headless = new kplus.Service(this, "service", {
      metadata,
      clusterIP: "None",
      ports: [{ name: "mongodb", port: ports.mongodb, targetPort: ports.mongodb }],
    });

    const serviceAccount = new kplus.ServiceAccount(this, "service-account", { metadata, automountToken: false });
    const statefulSet = new kplus.StatefulSet(this, "stateful-set", {
      metadata,
      service: headless,
      select: false,
      podMetadata: { labels: mongodbLabels },
      replicas: 1,
      serviceAccount,
      automountServiceAccountToken: false,
      securityContext: podSecurityContext,
      volumeClaimTemplates: [
        {
          name: "data",
          storage: Size.gibibytes(config.storageGiB),
          storageClassName,
          accessModes: [kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE],
        },
      ],
    });
    statefulSet.select(kplus.LabelSelector.of({ labels: mongodbLabels }));
    withoutGeneratedAddressLabel(statefulSet);
    // The StatefulSet made its Service select the generated address; select by our label instead.
    headless.select(podsOf(this, name));
    ApiObject.of(headless).addJsonPatch(JsonPatch.remove("/spec/selector/cdk8s.io~1metadata.addr"));

    const rootSecret = kplus.Secret.fromSecretName(this, "root", secrets.mongodbRoot.name);
    const secretEnv = (key: string) => kplus.EnvValue.fromSecretValue({ secret: rootSecret, key });
    const emptyDir = (volumeName: string) => kplus.Volume.fromEmptyDir(this, volumeName, volumeName);
    const tcp = kplus.Probe.fromTcpSocket({ port: ports.mongodb, timeoutSeconds: Duration.seconds(5) });
    statefulSet.addContainer({
      name,
      image: config.image,
      imagePullPolicy: kplus.ImagePullPolicy.ALWAYS,
      // The WiredTiger cache defaults to half the node's memory, not the container's: size it under the limit.
      args: ["--auth", "--bind_ip_all", "--wiredTigerCacheSizeGB", (config.memoryMiB / 4 / 1024).toFixed(2)],
      ports: [{ number: ports.mongodb, name: "mongodb" }],
      envVariables: {
        // mongosh (the readiness probe) keeps state under $HOME; the root filesystem is read-only.
        HOME: kplus.EnvValue.fromValue("/tmp"),
        [secrets.mongodbRoot.keys.username]: secretEnv(secrets.mongodbRoot.keys.username),
        [secrets.mongodbRoot.keys.password]: secretEnv(secrets.mongodbRoot.keys.password),
      },
      resources: {
        cpu: { request: kplus.Cpu.millis(config.cpu.requestMillis), limit: kplus.Cpu.millis(config.cpu.limitMillis) },
        memory: { request: Size.mebibytes(config.memoryMiB), limit: Size.mebibytes(config.memoryMiB) },
        ephemeralStorage: { request: Size.gibibytes(0.25), limit: Size.gibibytes(1) },
      },
      securityContext: restrictedContainerSecurityContext,
      startup: kplus.Probe.fromTcpSocket({
        port: ports.mongodb,
        periodSeconds: Duration.seconds(5),
        failureThreshold: 60,
      }),
      liveness: tcp,
      // Readiness asks the server itself; `ping` needs no authentication.
      readiness: kplus.Probe.fromCommand(["mongosh", "--quiet", "--norc", "--eval", "db.adminCommand('ping').ok"], {
        periodSeconds: Duration.seconds(10),
        timeoutSeconds: Duration.seconds(5),
      }),
      volumeMounts: [
        { path: "/data/db", volume: kplus.Volume.fromName(this, "data", "data") },
        // The image declares this volume too; with a read-only root it must be writable.
        { path: "/data/configdb", volume: emptyDir("configdb") },
        // The entrypoint's first-start config and mongod's socket.
        { path: "/tmp", volume: emptyDir("tmp") },
      ],
    });

    new kplus.k8s.KubePodDisruptionBudget(this, "disruption-budget", {
      metadata,
      // One member: allow voluntary eviction (node drains) rather than blocking it forever; dev clusters only.
      spec: { maxUnavailable: kplus.k8s.IntOrString.fromNumber(1), selector: { matchLabels: mongodbLabels } },
    });
  }
}
