import * as kplus from "cdk8s-plus-33";
import type { Construct } from "constructs";
import { PUBLIC_EXACT_PATHS, PUBLIC_PATH_PREFIXES } from "@accounts/users-api/public-paths";
import { type EnvironmentConfig, namespace, workloadNames } from "./config.ts";

/** Read by the AWS Load Balancer Controller (https://kubernetes-sigs.github.io/aws-load-balancer-controller/). */
export function albAnnotations(config: EnvironmentConfig, drainSeconds: number): Record<string, string> {
  return {
    "alb.ingress.kubernetes.io/scheme": "internet-facing",
    // Straight to pod IPs: no NodePort, and the controller tracks readiness per pod.
    "alb.ingress.kubernetes.io/target-type": "ip",
    "alb.ingress.kubernetes.io/listen-ports": JSON.stringify([{ HTTP: 80 }, { HTTPS: 443 }]),
    "alb.ingress.kubernetes.io/ssl-redirect": "443",
    "alb.ingress.kubernetes.io/certificate-arn": config.certificateArn,
    "alb.ingress.kubernetes.io/ssl-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "alb.ingress.kubernetes.io/healthcheck-path": "/ready",
    "alb.ingress.kubernetes.io/success-codes": "200",
    // In-flight requests get this long on a deregistered pod: within its preStop pause plus graceful shutdown.
    "alb.ingress.kubernetes.io/target-group-attributes": `deregistration_delay.timeout_seconds=${drainSeconds + 15}`,
  };
}

// Only users-api's public paths reach the internet (the ALB's health checks go to the pods directly), and the ALB
// answers 404 for every other path.

export function usersApiIngress(scope: Construct, config: EnvironmentConfig, service: kplus.Service): kplus.Ingress {
  const backend = kplus.IngressBackend.fromService(service, { port: 80 });
  return new kplus.Ingress(scope, "ingress", {
    metadata: {
      name: workloadNames.usersApi,
      namespace,
      annotations: albAnnotations(config, config.usersApi.drainSeconds),
    },
    className: "alb",
    rules: [
      ...PUBLIC_EXACT_PATHS.map((path) => ({
        host: config.host,
        path,
        pathType: kplus.HttpIngressPathType.EXACT,
        backend,
      })),
      ...PUBLIC_PATH_PREFIXES.map((path) => ({
        host: config.host,
        path,
        pathType: kplus.HttpIngressPathType.PREFIX,
        backend,
      })),
    ],
  });
}
