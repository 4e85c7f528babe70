import { describe, expect, test } from "bun:test";
import { PUBLIC_EXACT_PATHS, PUBLIC_PATH_PREFIXES } from "@accounts/users-api/public-paths";
import {
  authApiMemoryMiB,
  configHashAnnotation,
  environmentConfigs,
  environments,
  namespace,
  appPartOfLabel,
  ports,
  secretNamesUsedBy,
  secrets,
  synthManifests,
  usersApiAdminServiceName,
  workloadNames,
} from "../src/manifests.ts";
import { environmentProblems } from "./environment-contract.ts";
import {
  containersOf,
  type KubeObject,
  mebibytes,
  named,
  ofKind,
  podTemplates,
  selects,
  templateOf,
} from "./objects.ts";

const imageTag = "0123456789abcdef0123456789abcdef01234567";
const clusterScoped = new Set(["Namespace", "StorageClass"]);

const bunServices = [workloadNames.usersApi, workloadNames.authApi] as const;

describe.each(environments)("%s manifests", (environment) => {
  const config = { ...environmentConfigs[environment], imageTag };
  const objects: KubeObject[] = synthManifests(environment, { imageTag });
  const deployments = ofKind(objects, "Deployment");
  const configMapOf = (name: string) => named(objects, "ConfigMap", name).data as Record<string, string>;

  test("a Namespace holds every namespaced object, and every object carries the app label", () => {
    expect(named(objects, "Namespace", namespace)).toBeDefined();
    for (const object of objects) {
      expect(object.metadata.labels[appPartOfLabel.key]).toBe(appPartOfLabel.value);
      expect(object.metadata.namespace).toBe(clusterScoped.has(object.kind) ? undefined : namespace);
    }
  });

  test("the Namespace enforces the restricted Pod Security Standard", () => {
    expect(named(objects, "Namespace", namespace).metadata.labels["pod-security.kubernetes.io/enforce"]).toBe(
      "restricted",
    );
  });

  test("every workload runs under its own ServiceAccount with no API token mounted", () => {
    for (const { workload, template } of podTemplates(objects)) {
      const account = named(objects, "ServiceAccount", template.spec.serviceAccountName);
      expect(template.spec.serviceAccountName).toBe(workload.metadata.name);
      expect(account.automountServiceAccountToken).toBe(false);
      expect(template.spec.automountServiceAccountToken).toBe(false);
    }
  });

  test("auth-api has no Ingress, LoadBalancer or NodePort", () => {
    const authService = named(objects, "Service", workloadNames.authApi);
    expect(authService.spec.type).toBe("ClusterIP");
    const backends = ofKind(objects, "Ingress").flatMap((ingress) =>
      ingress.spec.rules.flatMap((rule: KubeObject) =>
        rule.http.paths.map((path: KubeObject) => path.backend.service.name),
      ),
    );
    expect(backends).not.toContain(workloadNames.authApi);
    for (const service of ofKind(objects, "Service"))
      expect(["LoadBalancer", "NodePort"]).not.toContain(service.spec.type);
  });

  test("users-api is exposed by an internet-facing ALB over HTTPS, to pod IPs, checked on /ready", () => {
    const [ingress, ...others] = ofKind(objects, "Ingress");
    expect(others).toHaveLength(0);
    const annotations = ingress!.metadata.annotations;
    expect(ingress!.spec.ingressClassName).toBe("alb");
    expect(annotations).toMatchObject({
      "alb.ingress.kubernetes.io/scheme": "internet-facing",
      "alb.ingress.kubernetes.io/target-type": "ip",
      "alb.ingress.kubernetes.io/certificate-arn": config.certificateArn,
      "alb.ingress.kubernetes.io/ssl-redirect": "443",
      "alb.ingress.kubernetes.io/healthcheck-path": "/ready",
    });
    expect(JSON.parse(annotations["alb.ingress.kubernetes.io/listen-ports"])).toEqual([{ HTTP: 80 }, { HTTPS: 443 }]);
    const backend = { service: { name: workloadNames.usersApi, port: { number: 80 } } };
    const [rule, ...otherRules] = ingress!.spec.rules;
    expect(otherRules).toHaveLength(0);
    expect(rule.host).toBe(config.host);
    const byPath = (a: KubeObject, b: KubeObject) => a.path.localeCompare(b.path);
    expect(rule.http.paths.toSorted(byPath)).toEqual(
      [
        ...PUBLIC_EXACT_PATHS.map((path) => ({ path, pathType: "Exact", backend })),
        ...PUBLIC_PATH_PREFIXES.map((path) => ({ path, pathType: "Prefix", backend })),
      ].toSorted(byPath),
    );
  });

  test("/metrics, /ready, /health and the API docs are not routed from the internet", () => {
    const routed = ofKind(objects, "Ingress").flatMap((ingress) =>
      ingress.spec.rules.flatMap((rule: KubeObject) => rule.http.paths.map((path: KubeObject) => path.path)),
    );
    for (const path of ["/", "/metrics", "/ready", "/health", "/swagger", "/swagger/json"])
      expect(routed).not.toContain(path);
  });

  test("Secrets are referenced by name and key, never written; a secret variable comes from its Secret only", () => {
    // That the deploy tool writes exactly these is checked in scripts/deploy/secrets.test.ts.
    expect(ofKind(objects, "Secret")).toHaveLength(0);
    const declared = Object.values(secrets).flatMap((secret) =>
      Object.values(secret.keys).map((key) => `${secret.name}/${key}`),
    );
    const secretVariables = Object.values(secrets).flatMap((secret) => Object.values(secret.keys) as string[]);
    for (const { container } of containersOf(objects)) {
      for (const variable of container.env ?? []) {
        const ref = variable.valueFrom?.secretKeyRef;
        if (ref) expect(declared).toContain(`${ref.name}/${ref.key}`);
        else expect(secretVariables).not.toContain(variable.name);
      }
    }
    for (const name of bunServices)
      for (const variable of Object.keys(configMapOf(name))) expect(secretVariables).not.toContain(variable);
  });

  test("the deploy tool's secretNamesUsedBy finds each workload's Secrets", () => {
    expect(secretNamesUsedBy(templateOf(objects, workloadNames.authApi).spec)).toEqual([
      secrets.jwt.name,
      secrets.internalToken.name,
    ]);
    expect(secretNamesUsedBy(templateOf(objects, workloadNames.usersApi).spec)).toEqual(
      [
        secrets.internalToken.name,
        secrets.mongodbUri.name,
        secrets.smtp.name,
        secrets.mfaEncryption.name,
        secrets.adminToken.name,
      ].toSorted(),
    );
  });

  test("each service's pods get every variable its config schema requires, only ones it declares, valid values", () => {
    for (const name of bunServices) {
      expect(templateOf(objects, name).spec.containers[0].envFrom).toEqual([{ configMapRef: { name } }]);
      expect(environmentProblems(objects, name)).toEqual([]);
      expect(configMapOf(name).PORT).toBe(String(name === workloadNames.usersApi ? ports.usersApi : ports.authApi));
    }
    expect(configMapOf(workloadNames.usersApi).AUTH_API_URL).toBe(`http://${workloadNames.authApi}.${namespace}.svc`);
    // The ALB connects from its own subnets: users-api trusts X-Forwarded-For from those and from nowhere else, not
    // from the whole VPC (where any pod or host could name itself a client and pick its throttling bucket).
    const trusted = configMapOf(workloadNames.usersApi).TRUSTED_PROXIES!.split(",");
    expect(trusted).toEqual(config.albSubnetCidrs);
    expect(trusted.length).toBeGreaterThan(0);
    expect(trusted).not.toContain(config.vpcCidr);
    // The links in emails open users-api's own pages behind the Ingress.
    expect(configMapOf(workloadNames.usersApi).PUBLIC_URL).toBe(`https://${config.host}`);
    expect(configMapOf(workloadNames.usersApi).MAIL_FROM).toBe(config.mail.from);
  });

  test("the environment check fails on a renamed, an unset required or an invalid variable", () => {
    const broken = structuredClone(objects);
    const data = named(broken, "ConfigMap", workloadNames.usersApi).data as Record<string, string>;
    data.AUTH_API_TIMEOUT = data.AUTH_API_TIMEOUT_MS!;
    delete data.AUTH_API_TIMEOUT_MS;
    data.LOG_LEVEL = "verbose";
    const [container] = templateOf(broken, workloadNames.usersApi).spec.containers;
    container.env = container.env.filter((variable: KubeObject) => variable.name !== "MONGODB_URI");
    expect(environmentProblems(broken, workloadNames.usersApi)).toEqual([
      "AUTH_API_TIMEOUT: set, but users-api's config schema does not declare it",
      "MONGODB_URI: required by users-api's config schema, but the pod does not set it",
      "Invalid configuration:\n  LOG_LEVEL: must be one of debug, info, warn, error",
    ]);
  });

  test("each pod template carries its ConfigMap's hash, which changes with the config and only then", () => {
    const hashes = (manifests: KubeObject[]) =>
      bunServices.map((name) => templateOf(manifests, name).metadata.annotations[configHashAnnotation]);
    const before = hashes(objects);
    expect(before.every((hash) => /^[a-f0-9]{16}$/.test(hash))).toBe(true);
    expect(hashes(synthManifests(environment, { imageTag }))).toEqual(before);
    const debug = config.logLevel === "debug" ? "warn" : "debug";
    const after = hashes(synthManifests(environment, { imageTag, logLevel: debug }));
    expect(after[0]).not.toBe(before[0]);
    expect(after[1]).not.toBe(before[1]);
  });

  test("every container has requests and limits for CPU, memory and ephemeral storage", () => {
    for (const { container } of containersOf(objects)) {
      for (const kind of ["requests", "limits"]) {
        expect(Object.keys(container.resources[kind]).sort()).toEqual(["cpu", "ephemeral-storage", "memory"]);
      }
      expect(container.resources.requests.memory).toBe(container.resources.limits.memory);
    }
  });

  test("auth-api's memory limit is the runtime plus HASH_CONCURRENCY × HASH_MEMORY_KIB from its own ConfigMap", () => {
    const data = configMapOf(workloadNames.authApi);
    const limit = mebibytes(templateOf(objects, workloadNames.authApi).spec.containers[0].resources.limits.memory);
    const hashing = (Number(data.HASH_CONCURRENCY) * Number(data.HASH_MEMORY_KIB)) / 1024;
    expect(limit).toBe(config.authApi.runtimeMemoryMiB + Math.ceil(hashing));
    expect(limit).toBe(authApiMemoryMiB(config.authApi));

    const doubled = {
      ...config.authApi,
      hashing: { ...config.authApi.hashing, concurrency: config.authApi.hashing.concurrency * 2 },
    };
    const bigger = synthManifests(environment, { imageTag, authApi: doubled });
    expect(configMapOf(workloadNames.authApi).HASH_CONCURRENCY).not.toBe(
      named(bigger, "ConfigMap", workloadNames.authApi).data.HASH_CONCURRENCY,
    );
    expect(mebibytes(templateOf(bigger, workloadNames.authApi).spec.containers[0].resources.limits.memory)).toBe(
      limit + Math.ceil(hashing),
    );
  });

  test("the services probe readiness on /ready, liveness on /health, and have a startup probe", () => {
    for (const name of bunServices) {
      const [container] = templateOf(objects, name).spec.containers;
      expect(container.readinessProbe.httpGet.path).toBe("/ready");
      expect(container.livenessProbe.httpGet.path).toBe("/health");
      expect(container.startupProbe.httpGet.path).toBe("/health");
    }
    for (const { container } of containersOf(objects)) {
      expect(container.readinessProbe).toBeDefined();
      expect(container.livenessProbe).toBeDefined();
      expect(container.startupProbe).toBeDefined();
    }
  });

  test("every pod and container runs non-root as UID/GID ≥ 10000 with the full restricted security context", () => {
    for (const { template } of podTemplates(objects)) {
      const pod = template.spec.securityContext;
      expect(pod.runAsNonRoot).toBe(true);
      expect(pod.runAsUser).toBeGreaterThanOrEqual(10000);
      expect(pod.runAsGroup).toBeGreaterThanOrEqual(10000);
    }
    for (const { container } of containersOf(objects)) {
      const context = container.securityContext;
      expect(context.runAsNonRoot).toBe(true);
      expect(context.runAsUser).toBeGreaterThanOrEqual(10000);
      expect(context.runAsGroup).toBeGreaterThanOrEqual(10000);
      expect(context.readOnlyRootFilesystem).toBe(true);
      expect(context.allowPrivilegeEscalation).toBe(false);
      expect(context.privileged).toBe(false);
      expect(context.capabilities).toEqual({ drop: ["ALL"] });
      expect(context.seccompProfile).toEqual({ type: "RuntimeDefault" });
    }
  });

  test("with a read-only root filesystem, every container has a writable /tmp", () => {
    for (const { workload, container } of containersOf(objects)) {
      const mount = container.volumeMounts.find((volumeMount: KubeObject) => volumeMount.mountPath === "/tmp");
      const volume = workload.spec.template.spec.volumes.find(
        (candidate: KubeObject) => candidate.name === mount?.name,
      );
      expect(volume?.emptyDir).toBeDefined();
    }
  });

  test("each Deployment spreads its pods across zones and nodes", () => {
    for (const deployment of deployments) {
      const constraints = deployment.spec.template.spec.topologySpreadConstraints as KubeObject[];
      expect(constraints.map((constraint) => constraint.topologyKey).sort()).toEqual([
        "kubernetes.io/hostname",
        "topology.kubernetes.io/zone",
      ]);
      for (const constraint of constraints)
        expect(constraint.labelSelector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    }
  });

  test("each workload has a PodDisruptionBudget selecting its pods", () => {
    for (const { workload, template } of podTemplates(objects)) {
      const budgets = ofKind(objects, "PodDisruptionBudget").filter((budget) =>
        selects(budget.spec.selector.matchLabels, template.metadata.labels),
      );
      expect(budgets).toHaveLength(1);
      expect(budgets[0]!.spec.maxUnavailable ?? budgets[0]!.spec.minAvailable).toBeDefined();
      expect(budgets[0]!.metadata.name).toBe(workload.metadata.name);
    }
  });

  test("each Deployment scales on CPU from at least 2 replicas, and leaves the replica count to its autoscaler", () => {
    for (const deployment of deployments) {
      const autoscaler = named(objects, "HorizontalPodAutoscaler", deployment.metadata.name);
      expect(autoscaler.spec.scaleTargetRef).toEqual({
        apiVersion: "apps/v1",
        kind: "Deployment",
        name: deployment.metadata.name,
      });
      expect(autoscaler.spec.minReplicas).toBeGreaterThanOrEqual(2);
      expect(autoscaler.spec.metrics.map((metric: KubeObject) => metric.resource.name)).toEqual(["cpu"]);
      expect(deployment.spec.replicas).toBeUndefined();
    }
  });

  test("each Deployment pauses before SIGTERM and allows longer than that pause to shut down", () => {
    for (const deployment of deployments) {
      const { spec } = deployment.spec.template;
      const pause = spec.containers[0].lifecycle.preStop.sleep.seconds;
      expect(pause).toBeGreaterThan(0);
      expect(spec.terminationGracePeriodSeconds).toBeGreaterThan(pause);
    }
  });

  test("rollouts never take a serving pod away before its replacement is ready", () => {
    for (const deployment of deployments) expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
  });

  test("service images come from the configured registry with the given tag, never latest", () => {
    for (const { container } of containersOf(objects)) {
      expect(container.image).not.toMatch(/:latest$|^[^:@]+$/);
    }
    for (const name of bunServices) {
      expect(templateOf(objects, name).spec.containers[0].image).toBe(
        `${config.imageRegistry}/accounts/${name}:${imageTag}`,
      );
    }
  });

  test("a digest pins the image, and latest or an empty tag is refused at synth time", () => {
    const digest = `sha256:${"a".repeat(64)}`;
    const pinned = synthManifests(environment, { imageTag: digest });
    expect(templateOf(pinned, workloadNames.usersApi).spec.containers[0].image).toEndWith(
      `/accounts/users-api@${digest}`,
    );
    expect(() => synthManifests(environment, { imageTag: "latest" })).toThrow(/imageTag/);
    expect(() => synthManifests(environment, { imageTag: "" })).toThrow(/imageTag/);
  });

  test("ALB subnets that are not narrower ranges inside the VPC (the VPC itself, one outside it, none) are refused at synth time", () => {
    for (const albSubnetCidrs of [
      [],
      [config.vpcCidr],
      ["0.0.0.0/0"],
      ["192.168.0.0/24"],
      ["10.0.0.0"],
      ["10.0.0.1/24"],
    ])
      expect(() => synthManifests(environment, { imageTag, albSubnetCidrs })).toThrow(/albSubnetCidrs/);
  });

  test("hashing weaker than the OWASP minimum, or fewer than 2 replicas, is refused at synth time", () => {
    const weak = { ...config.authApi, hashing: { ...config.authApi.hashing, memoryKiB: 1024 } };
    expect(() => synthManifests(environment, { imageTag, authApi: weak })).toThrow(/authApi.hashing.memoryKiB/);
    const single = { ...config.usersApi, replicas: { min: 1, max: 3 } };
    expect(() => synthManifests(environment, { imageTag, usersApi: single })).toThrow(/usersApi.replicas.min/);
  });

  test("every Service selects the pods of exactly one workload", () => {
    const workloadOf = (service: string) => (service === usersApiAdminServiceName ? workloadNames.usersApi : service);
    for (const service of ofKind(objects, "Service")) {
      expect(Object.keys(service.spec.selector ?? {}).length).toBeGreaterThan(0);
      const matching = podTemplates(objects).filter(({ template }) =>
        selects(service.spec.selector, template.metadata.labels),
      );
      expect(matching.map(({ workload }) => workload.metadata.name)).toEqual([workloadOf(service.metadata.name)]);
    }
  });

  test("users-api's admin listener: ADMIN_PORT, a container port, and a ClusterIP Service no Ingress routes to", () => {
    expect(configMapOf(workloadNames.usersApi).ADMIN_PORT).toBe(String(ports.usersApiAdmin));
    const [container] = templateOf(objects, workloadNames.usersApi).spec.containers;
    expect(container.ports).toContainEqual({ containerPort: ports.usersApiAdmin, name: "admin" });
    const service = named(objects, "Service", usersApiAdminServiceName);
    expect(service.spec.type).toBe("ClusterIP");
    expect(service.spec.ports).toEqual([{ name: "admin", port: 80, targetPort: ports.usersApiAdmin }]);
    const backends = ofKind(objects, "Ingress").flatMap((ingress) =>
      ingress.spec.rules.flatMap((rule: KubeObject) => rule.http.paths.map((path: KubeObject) => path.backend.service)),
    );
    expect(backends.map((backend: KubeObject) => backend.name)).not.toContain(usersApiAdminServiceName);
    expect(JSON.stringify(backends)).not.toContain(String(ports.usersApiAdmin));
    const [adminTokenVariable] = container.env.filter((variable: KubeObject) => variable.name === "ADMIN_TOKEN");
    expect(adminTokenVariable.valueFrom.secretKeyRef).toEqual({ name: secrets.adminToken.name, key: "ADMIN_TOKEN" });
  });

  describe("NetworkPolicies", () => {
    const policies = ofKind(objects, "NetworkPolicy");
    const policyFor = (name: string) => named(objects, "NetworkPolicy", name).spec;
    const podLabels = (name: string) => templateOf(objects, name).metadata.labels;

    test("the namespace denies all ingress and egress by default", () => {
      expect(policyFor("default-deny")).toEqual({ podSelector: {}, policyTypes: ["Egress", "Ingress"] });
    });

    test("every pod is selected by a NetworkPolicy of its own besides the default deny", () => {
      for (const { workload, template } of podTemplates(objects)) {
        const own = policies.filter(
          (policy) =>
            policy.metadata.name !== "default-deny" &&
            selects(policy.spec.podSelector.matchLabels, template.metadata.labels),
        );
        expect(own.map((policy) => policy.metadata.name)).toEqual([workload.metadata.name]);
      }
    });

    test("users-api accepts traffic only from the ALB's subnets, never the whole VPC, on its port; its admin port only from this namespace", () => {
      const { ingress } = policyFor(workloadNames.usersApi);
      expect(ingress).toEqual([
        ...config.albSubnetCidrs.map((cidr) => ({
          from: [{ ipBlock: { cidr } }],
          ports: [{ port: ports.usersApi, protocol: "TCP" }],
        })),
        // An empty podSelector without a namespaceSelector: every pod of the policy's own namespace, and nothing else.
        { from: [{ podSelector: {} }], ports: [{ port: ports.usersApiAdmin, protocol: "TCP" }] },
      ]);
      expect(JSON.stringify(ingress)).not.toContain(`"${config.vpcCidr}"`);
    });

    test("auth-api accepts traffic only from users-api pods, and sends none", () => {
      const { ingress, egress, policyTypes } = policyFor(workloadNames.authApi);
      expect(ingress).toHaveLength(1);
      expect(ingress[0].ports).toEqual([{ port: ports.authApi, protocol: "TCP" }]);
      expect(ingress[0].from).toHaveLength(1);
      expect(selects(ingress[0].from[0].podSelector.matchLabels, podLabels(workloadNames.usersApi))).toBe(true);
      expect(selects(ingress[0].from[0].podSelector.matchLabels, podLabels(workloadNames.authApi))).toBe(false);
      expect(egress).toBeUndefined();
      expect(policyTypes).toContain("Egress");
    });

    test("users-api may reach only DNS, auth-api, MongoDB and the SMTP server", () => {
      const egress = policyFor(workloadNames.usersApi).egress as KubeObject[];
      const targets = egress.map((rule) =>
        rule.ports.map((port: KubeObject) => `${port.protocol}/${port.port}`).join(","),
      );
      const mongodbRules = config.mongodb.mode === "external" ? config.mongodb.egressCidrs.length : 1;
      expect(targets).toEqual([
        "UDP/53,TCP/53",
        `TCP/${ports.authApi}`,
        ...Array(mongodbRules).fill(`TCP/${ports.mongodb}`),
        ...Array(config.mail.egressCidrs.length).fill("TCP/587,TCP/465"),
      ]);
      expect(egress[0]!.to[0].podSelector.matchLabels).toEqual({ "k8s-app": "kube-dns" });
      expect(selects(egress[1]!.to[0].podSelector.matchLabels, podLabels(workloadNames.authApi))).toBe(true);
    });
  });

  if (config.mongodb.mode === "in-cluster") {
    test("in-cluster MongoDB: the official mongo 7 image with auth, on a gp3 volume, behind a headless Service", () => {
      const statefulSet = named(objects, "StatefulSet", workloadNames.mongodb);
      const [container] = statefulSet.spec.template.spec.containers;
      expect(container.image).toMatch(/^mongo:7(\.\d+)*$/);
      expect(container.args).toContain("--auth");
      const [claim] = statefulSet.spec.volumeClaimTemplates;
      const storageClass = named(objects, "StorageClass", claim.spec.storageClassName);
      expect(storageClass.parameters.type).toBe("gp3");
      expect(storageClass.provisioner).toBe("ebs.csi.aws.com");
      expect(container.volumeMounts).toContainEqual({ mountPath: "/data/db", name: claim.metadata.name });
      const service = named(objects, "Service", statefulSet.spec.serviceName);
      expect(service.spec.clusterIP).toBe("None");
    });

    test("in-cluster MongoDB accepts traffic only from users-api", () => {
      const { ingress } = named(objects, "NetworkPolicy", workloadNames.mongodb).spec;
      expect(ingress).toHaveLength(1);
      expect(ingress[0].ports).toEqual([{ port: ports.mongodb, protocol: "TCP" }]);
      expect(
        selects(
          ingress[0].from[0].podSelector.matchLabels,
          templateOf(objects, workloadNames.usersApi).metadata.labels,
        ),
      ).toBe(true);
    });
  } else {
    test("external MongoDB: no database workload or volume, users-api egress to the configured ranges", () => {
      expect(ofKind(objects, "StatefulSet")).toHaveLength(0);
      expect(ofKind(objects, "StorageClass")).toHaveLength(0);
      const egress = named(objects, "NetworkPolicy", workloadNames.usersApi).spec.egress as KubeObject[];
      const mongodbCidrs = egress
        .filter((rule) => rule.ports.some((port: KubeObject) => port.port === ports.mongodb))
        .flatMap((rule) => rule.to.flatMap((peer: KubeObject) => (peer.ipBlock ? [peer.ipBlock.cidr] : [])));
      expect(mongodbCidrs).toEqual(config.mongodb.mode === "external" ? config.mongodb.egressCidrs : []);
    });
  }
});

test("dev runs MongoDB in the cluster and prod uses an external one", () => {
  expect(environmentConfigs.dev.mongodb.mode).toBe("in-cluster");
  expect(environmentConfigs.prod.mongodb.mode).toBe("external");
  expect(ofKind(synthManifests("prod", { imageTag }), "StatefulSet")).toHaveLength(0);
});

test("secretNamesUsedBy reads env secretKeyRefs and envFrom secretRefs of every container, each name once", () => {
  const fromEnv = (name: string) => ({ name: "X", valueFrom: { secretKeyRef: { name, key: "X" } } });
  expect(
    secretNamesUsedBy({
      containers: [
        {
          env: [{ name: "PLAIN", value: "v" } as object, fromEnv("b"), fromEnv("a")],
          envFrom: [{ secretRef: { name: "c" } }],
        },
        { envFrom: [{ configMapRef: { name: "not-a-secret" } } as object, { secretRef: { name: "a" } }] },
      ],
      initContainers: [{ env: [fromEnv("d")] }],
    }),
  ).toEqual(["a", "b", "c", "d"]);
});
