import { AuthConfigSchema } from "@accounts/auth-api/config";
import { type LogLevel, MIN_HASH_COST } from "@accounts/shared/limits";
import { UsersConfigSchema } from "@accounts/users-api/config";
import type { AuthApiEnvName, UsersApiEnvName } from "./service-config.ts";

/**
 * The one typed description of each environment. Everything the manifests say about sizes, hosts and images comes from
 * here, and so do the names the deploy tool shares with them (namespace, Secrets, labels).
 */

export type Environment = "dev" | "prod";
export const environments: readonly Environment[] = ["dev", "prod"];

/** One namespace per cluster: dev and prod are meant to be separate clusters. */
export const namespace = "accounts";

/** `app.kubernetes.io/part-of`, on every object we synthesize and every Secret the deploy tool writes. */
export const appPartOfLabel = { key: "app.kubernetes.io/part-of", value: "accounts" } as const;

export const workloadNames = { usersApi: "users-api", authApi: "auth-api", mongodb: "mongodb" } as const;

/** ECR repository (or any registry path) per image, below `imageRegistry`. */
export const imageRepositories = { usersApi: "accounts/users-api", authApi: "accounts/auth-api" } as const;

/** The Dockerfile runs the services as this user; the pods run as it too. ≥ 10000 so it matches no user on the node. */
export const runAsId = 10001;

export const ports = { usersApi: 3000, authApi: 3001, usersApiAdmin: 3002, mongodb: 27017 } as const;

/** The ClusterIP Service of users-api's admin listener, which no Ingress routes to (`bun run admin` port-forwards). */
export const usersApiAdminServiceName = "users-api-admin";

/** A Secret's keys are the names of the environment variables its values become. */
interface SecretSpec<Variable extends string> {
  name: string;
  keys: Record<string, Variable>;
}

/**
 * Secrets are referenced by name and key only; the deploy tool writes their values. `keys` are container environment
 * variable names: typed by the services' config schemas, except for the MongoDB root user, whose keys are the
 * official mongo image's variables.
 */
export const secrets = {
  jwt: {
    name: "auth-api-jwt",
    keys: { signingKey: "JWT_SIGNING_KEY", previousPublicKeys: "JWT_PREVIOUS_PUBLIC_KEYS" },
  } as const satisfies SecretSpec<AuthApiEnvName>,
  internalToken: { name: "internal-token", keys: { token: "INTERNAL_TOKEN" } } as const satisfies SecretSpec<
    AuthApiEnvName & UsersApiEnvName
  >,
  mongodbUri: {
    name: "users-api-mongodb",
    keys: { uri: "MONGODB_URI" },
  } as const satisfies SecretSpec<UsersApiEnvName>,
  smtp: { name: "users-api-smtp", keys: { url: "SMTP_URL" } } as const satisfies SecretSpec<UsersApiEnvName>,
  mfaEncryption: {
    name: "users-api-mfa-encryption",
    keys: { key: "MFA_ENCRYPTION_KEY", previousKeys: "MFA_PREVIOUS_ENCRYPTION_KEYS" },
  } as const satisfies SecretSpec<UsersApiEnvName>,
  adminToken: {
    name: "users-api-admin-token",
    keys: { token: "ADMIN_TOKEN" },
  } as const satisfies SecretSpec<UsersApiEnvName>,
  mongodbRoot: {
    name: "mongodb-root",
    keys: { username: "MONGO_INITDB_ROOT_USERNAME", password: "MONGO_INITDB_ROOT_PASSWORD" },
  } as const,
};

/** The URI users-api needs for the in-cluster MongoDB; the deploy tool stores it in `secrets.mongodbUri`. */
export function inClusterMongodbUri(username: string, password: string): string {
  const uri = new URL(
    `mongodb://${workloadNames.mongodb}-0.${workloadNames.mongodb}.${namespace}.svc:${ports.mongodb}/accounts`,
  );
  uri.username = username; // URL percent-encodes both
  uri.password = password;
  uri.searchParams.set("authSource", "admin");
  return uri.href;
}

export interface WorkloadConfig {
  /** HorizontalPodAutoscaler bounds; at least 2 so one pod can always be drained. */
  replicas: { min: number; max: number };
  cpu: { requestMillis: number; limitMillis: number };
  targetCpuUtilizationPercent: number;
  /**
   * preStop pause: how long a terminating pod keeps serving while the load balancer and kube-proxy stop sending
   * it new requests. SIGTERM (and the service's own graceful shutdown) comes after.
   */
  drainSeconds: number;
}

export interface UsersApiConfig extends WorkloadConfig {
  memoryMiB: number;
  authApiTimeoutMs: number;
}

export interface AuthApiConfig extends WorkloadConfig {
  /**
   * argon2id: every hash in flight holds `memoryKiB`, so these also size the pod's memory. A queued one holds
   * none, so the queue is left at auth-api's default, HASH_QUEUE_PER_SLOT per slot, and absorbs bursts cheaply.
   */
  hashing: { memoryKiB: number; timeCost: number; concurrency: number };
  /** Bun, Elysia, jose and the heap, without hashing. */
  runtimeMemoryMiB: number;
  /**
   * Access-token lifetime (auth-api's default unless an environment overrides it), written to the manifests because
   * the deploy tool needs it too: a rotated-out key stays published until the last token it signed has expired.
   */
  jwtTtlSeconds: number;
}

export type MongodbConfig =
  /** Atlas or DocumentDB: the URI comes from a Secret, egress is opened to these CIDRs on the MongoDB port. */
  | { mode: "external"; egressCidrs: string[] }
  /** The official image in a StatefulSet, for dev clusters. */
  | {
      mode: "in-cluster";
      image: string;
      storageGiB: number;
      memoryMiB: number;
      cpu: { requestMillis: number; limitMillis: number };
    };

export interface EnvironmentConfig {
  environment: Environment;
  /** e.g. `123456789012.dkr.ecr.eu-west-1.amazonaws.com`; `IMAGE_REGISTRY` overrides it for `bun run synth`. */
  imageRegistry: string;
  /** A tag (the git commit) or a digest (`sha256:…`); never `latest`. */
  imageTag: string;
  logLevel: LogLevel;
  host: string;
  /** ACM certificate for `host`, used by the ALB's HTTPS listener. */
  certificateArn: string;
  /** The VPC's range: every ALB subnet must lie inside it, and be narrower than it. */
  vpcCidr: string;
  /**
   * The subnets the internet-facing ALB lives in (its public subnets, one per zone). It reaches pods from its own
   * addresses there (target type ip), so users-api admits only these ranges (NetworkPolicy) and believes
   * X-Forwarded-For only from them (TRUSTED_PROXIES): any other pod or host in the VPC could otherwise name itself
   * a client and choose its throttling bucket.
   */
  albSubnetCidrs: string[];
  /**
   * Outgoing mail: the sender users-api writes (MAIL_FROM), and where its SMTP server is, for the NetworkPolicy (on
   * ports 587 and 465). The SMTP URL itself is a Secret (`secrets.smtp`).
   */
  mail: { from: string; egressCidrs: string[] };
  usersApi: UsersApiConfig;
  authApi: AuthApiConfig;
  mongodb: MongodbConfig;
}

/** auth-api's memory request and limit: every concurrent hash holds its full memory cost, plus the runtime. */
export function authApiMemoryMiB(authApi: AuthApiConfig): number {
  return authApi.runtimeMemoryMiB + Math.ceil((authApi.hashing.concurrency * authApi.hashing.memoryKiB) / 1024);
}

/**
 * What the services' config schemas default to, where the manifests or the deploy tool need the value itself: read
 * from the schemas, never restated.
 */
export const serviceDefaults = {
  authApiTimeoutMs: Number(UsersConfigSchema.properties.AUTH_API_TIMEOUT_MS.default),
  jwtTtlSeconds: Number(AuthConfigSchema.properties.JWT_TTL_SECONDS.default),
} as const;

// Placeholders (example.com, account 123456789012) are replaced per installation: edit them here or pass overrides.
const dev: Omit<EnvironmentConfig, "imageTag"> = {
  environment: "dev",
  imageRegistry: "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
  logLevel: "debug",
  host: "accounts.dev.example.com",
  certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000",
  vpcCidr: "10.0.0.0/16",
  albSubnetCidrs: ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"],
  // Providers such as SES or Postmark publish no fixed address range, so egress is limited by port only.
  mail: { from: "Accounts <no-reply@accounts.dev.example.com>", egressCidrs: ["0.0.0.0/0"] },
  usersApi: {
    replicas: { min: 2, max: 3 },
    cpu: { requestMillis: 100, limitMillis: 500 },
    memoryMiB: 256,
    targetCpuUtilizationPercent: 70,
    drainSeconds: 15,
    authApiTimeoutMs: serviceDefaults.authApiTimeoutMs,
  },
  authApi: {
    replicas: { min: 2, max: 3 },
    cpu: { requestMillis: 250, limitMillis: 1000 },
    hashing: { ...MIN_HASH_COST, concurrency: 1 },
    runtimeMemoryMiB: 192,
    targetCpuUtilizationPercent: 70,
    drainSeconds: 5,
    jwtTtlSeconds: serviceDefaults.jwtTtlSeconds,
  },
  mongodb: {
    mode: "in-cluster",
    image: "mongo:7.0.14",
    storageGiB: 10,
    memoryMiB: 1024,
    cpu: { requestMillis: 250, limitMillis: 1000 },
  },
};

/** Prod is dev with these differences: its host and sender, its sizes, less logging, and an external MongoDB. */
const prod: Omit<EnvironmentConfig, "imageTag"> = {
  ...dev,
  environment: "prod",
  logLevel: "info",
  host: "accounts.example.com",
  mail: { ...dev.mail, from: "Accounts <no-reply@accounts.example.com>" },
  usersApi: {
    ...dev.usersApi,
    replicas: { min: 3, max: 10 },
    cpu: { requestMillis: 250, limitMillis: 1000 },
    memoryMiB: 384,
  },
  authApi: {
    ...dev.authApi,
    replicas: { min: 3, max: 10 },
    cpu: { requestMillis: 1000, limitMillis: 2000 },
    hashing: { ...dev.authApi.hashing, concurrency: 2 },
  },
  // Atlas publishes no fixed address range, so egress is limited by port only; narrow it for DocumentDB or PrivateLink.
  mongodb: { mode: "external", egressCidrs: ["0.0.0.0/0"] },
};

export const environmentConfigs: Record<Environment, Omit<EnvironmentConfig, "imageTag">> = { dev, prod };

const tagPattern = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const digestPattern = /^sha256:[a-f0-9]{64}$/;

/** `registry/repository:tag` or `registry/repository@sha256:…`. */
export function imageReference(config: EnvironmentConfig, repository: string): string {
  const separator = digestPattern.test(config.imageTag) ? "@" : ":";
  return `${config.imageRegistry}/${repository}${separator}${config.imageTag}`;
}

/** An IPv4 CIDR in canonical form (no host bits set) as its first address and prefix length; undefined otherwise. */
function parseIpv4Cidr(cidr: string): { base: number; prefix: number } | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((octet) => octet > 255) || prefix > 32) return undefined;
  const base = octets.reduce((address, octet) => address * 256 + octet, 0);
  const size = 2 ** (32 - prefix);
  return base % size === 0 ? { base, prefix } : undefined;
}

/** Fails at synth time, naming the field, rather than producing manifests a cluster would run badly. */
export function validateConfig(config: EnvironmentConfig): void {
  const fail = (field: string, reason: string): never => {
    throw new Error(`k8s config (${config.environment}): ${field} ${reason}`);
  };
  const { imageTag } = config;
  if (imageTag === "latest" || !(tagPattern.test(imageTag) || digestPattern.test(imageTag))) {
    fail("imageTag", `must be an image tag (e.g. the git commit) or a sha256 digest, not ${JSON.stringify(imageTag)}`);
  }
  for (const [name, workload] of [
    ["usersApi", config.usersApi],
    ["authApi", config.authApi],
  ] as const) {
    if (workload.replicas.min < 2) fail(`${name}.replicas.min`, "must be at least 2");
    if (workload.replicas.max < workload.replicas.min) fail(`${name}.replicas.max`, "must be at least replicas.min");
    if (workload.cpu.limitMillis < workload.cpu.requestMillis)
      fail(`${name}.cpu.limitMillis`, "must be at least the request");
  }
  // The ALB's subnets, not the VPC or anything wider: the range users-api trusts is the range that can forge clients.
  const vpc = parseIpv4Cidr(config.vpcCidr) ?? fail("vpcCidr", `is not an IPv4 CIDR: ${config.vpcCidr}`);
  if (config.albSubnetCidrs.length === 0) fail("albSubnetCidrs", "must name the ALB's subnets");
  for (const cidr of config.albSubnetCidrs) {
    const subnet = parseIpv4Cidr(cidr) ?? fail("albSubnetCidrs", `has ${JSON.stringify(cidr)}, not an IPv4 CIDR`);
    const inside = Math.floor(subnet.base / 2 ** (32 - vpc.prefix)) === Math.floor(vpc.base / 2 ** (32 - vpc.prefix));
    if (subnet.prefix <= vpc.prefix || !inside)
      fail("albSubnetCidrs", `has ${cidr}, which is not a subnet narrower than the VPC ${config.vpcCidr}`);
  }
  // The services refuse hashing weaker than OWASP's minimum, so synth refuses it too.
  const { hashing: cost } = config.authApi;
  if (cost.memoryKiB < MIN_HASH_COST.memoryKiB)
    fail("authApi.hashing.memoryKiB", `must be at least ${MIN_HASH_COST.memoryKiB}`);
  if (cost.timeCost < MIN_HASH_COST.timeCost)
    fail("authApi.hashing.timeCost", `must be at least ${MIN_HASH_COST.timeCost}`);
  if (cost.concurrency < 1) fail("authApi.hashing.concurrency", "must be at least 1");
}
