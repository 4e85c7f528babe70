import { Chart } from "cdk8s";
import * as kplus from "cdk8s-plus-33";
import type { Construct } from "constructs";
import {
  authApiMemoryMiB,
  type EnvironmentConfig,
  imageReference,
  imageRepositories,
  namespace,
  appPartOfLabel,
  ports,
  secrets,
  usersApiAdminServiceName,
  workloadNames,
} from "./config.ts";
import { BunService } from "./bun-service.ts";
import { usersApiIngress } from "./ingress.ts";
import { InClusterMongodb } from "./mongodb.ts";
import { NetworkPolicies } from "./network-policies.ts";
import { podsOf } from "./pods.ts";
import { type AuthApiEnvName, fromSecret, type ServiceEnvironment, type UsersApiEnvName } from "./service-config.ts";

/** Everything the account system needs in one environment's cluster. */
export class AccountsChart extends Chart {
  constructor(scope: Construct, config: EnvironmentConfig) {
    super(scope, config.environment, {
      labels: { [appPartOfLabel.key]: appPartOfLabel.value },
      disableResourceNameHashes: true,
    });

    new kplus.Namespace(this, "namespace", {
      metadata: {
        name: namespace,
        labels: {
          // The API server itself rejects any pod here that is not "restricted".
          "pod-security.kubernetes.io/enforce": "restricted",
          "pod-security.kubernetes.io/enforce-version": "v1.33",
          // The ALB controller holds a rollout until the new pods are healthy targets, not just ready pods.
          "elbv2.k8s.aws/pod-readiness-gate-inject": "enabled",
        },
      },
    });

    const { authApi: authConfig, usersApi: usersConfig } = config;

    new BunService(this, "auth-api", {
      name: workloadNames.authApi,
      image: imageReference(config, imageRepositories.authApi),
      port: ports.authApi,
      workload: authConfig,
      memoryMiB: authApiMemoryMiB(authConfig),
      environment: authApiEnvironment(config),
    });

    const usersApi = new BunService(this, "users-api", {
      name: workloadNames.usersApi,
      image: imageReference(config, imageRepositories.usersApi),
      port: ports.usersApi,
      workload: usersConfig,
      memoryMiB: usersConfig.memoryMiB,
      environment: usersApiEnvironment(config),
    });
    usersApiIngress(this, config, usersApi.service);
    // The admin listener: a Service of its own that no Ingress names, opened to the namespace only (NetworkPolicies).
    usersApi.container.addPort({ number: ports.usersApiAdmin, name: "admin" });
    new kplus.Service(this, "users-api-admin", {
      metadata: { name: usersApiAdminServiceName, namespace },
      type: kplus.ServiceType.CLUSTER_IP,
      selector: podsOf(this, workloadNames.usersApi),
      ports: [{ name: "admin", port: 80, targetPort: ports.usersApiAdmin }],
    });

    if (config.mongodb.mode === "in-cluster") new InClusterMongodb(this, "mongodb", config.mongodb);
    new NetworkPolicies(this, "network-policies", config);
  }
}

// The declared types make each key a variable of the service's config schema: a rename there fails typecheck here.

function authApiEnvironment(config: EnvironmentConfig): ServiceEnvironment<AuthApiEnvName> {
  const { hashing, jwtTtlSeconds } = config.authApi;
  return {
    values: {
      PORT: String(ports.authApi),
      LOG_LEVEL: config.logLevel,
      JWT_TTL_SECONDS: String(jwtTtlSeconds),
      HASH_MEMORY_KIB: String(hashing.memoryKiB),
      HASH_TIME_COST: String(hashing.timeCost),
      // Set, not defaulted: in a container the service would count the node's cores, not its CPU limit.
      HASH_CONCURRENCY: String(hashing.concurrency),
    },
    secrets: { ...fromSecret(secrets.internalToken), ...fromSecret(secrets.jwt) },
  };
}

function usersApiEnvironment(config: EnvironmentConfig): ServiceEnvironment<UsersApiEnvName> {
  return {
    values: {
      PORT: String(ports.usersApi),
      ADMIN_PORT: String(ports.usersApiAdmin),
      LOG_LEVEL: config.logLevel,
      AUTH_API_URL: `http://${workloadNames.authApi}.${namespace}.svc`,
      AUTH_API_TIMEOUT_MS: String(config.usersApi.authApiTimeoutMs),
      // The ALB (target type ip) connects from its subnets' addresses and names the client in X-Forwarded-For:
      // trusting exactly those ranges lets users-api throttle per real client, and nobody else in the VPC or outside
      // it can pick their own bucket.
      TRUSTED_PROXIES: config.albSubnetCidrs.join(","),
      // The links in emails open this service's own pages, at the Ingress's host.
      PUBLIC_URL: `https://${config.host}`,
      MAIL_FROM: config.mail.from,
    },
    secrets: {
      ...fromSecret(secrets.internalToken),
      ...fromSecret(secrets.mongodbUri),
      ...fromSecret(secrets.smtp),
      ...fromSecret(secrets.mfaEncryption),
      ...fromSecret(secrets.adminToken),
    },
  };
}
