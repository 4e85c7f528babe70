import * as kplus from "cdk8s-plus-33";
import { Construct } from "constructs";
import { type EnvironmentConfig, namespace, ports, workloadNames } from "./config.ts";
import { podsOf } from "./pods.ts";

/**
 * Default deny for the namespace, then one policy per workload opening exactly the traffic it needs. Peers are pod
 * labels, never Service addresses: NetworkPolicies match pods and their container ports.
 */
export class NetworkPolicies extends Construct {
  constructor(scope: Construct, id: string, config: EnvironmentConfig) {
    super(scope, id);
    const usersApi = podsOf(this, workloadNames.usersApi);
    const authApi = podsOf(this, workloadNames.authApi);
    const mongodb = config.mongodb.mode === "in-cluster" ? podsOf(this, workloadNames.mongodb) : undefined;
    const policy = (name: string, selector: kplus.IPodSelector | undefined) =>
      new kplus.NetworkPolicy(this, name, {
        metadata: { name, namespace },
        selector,
        ingress: { default: kplus.NetworkPolicyTrafficDefault.DENY },
        egress: { default: kplus.NetworkPolicyTrafficDefault.DENY },
      });

    policy("default-deny", kplus.Pods.all(this, "all-pods"));

    const dns = kplus.Pods.select(this, "dns", {
      labels: { "k8s-app": "kube-dns" },
      namespaces: kplus.Namespaces.select(this, "kube-system", { names: ["kube-system"] }),
    });
    const users = policy("users-api", usersApi);
    // The ALB sends to pod IPs (target type ip) from its addresses in its own subnets; nothing else in the VPC may.
    for (const [index, cidr] of config.albSubnetCidrs.entries())
      users.addIngressRule(kplus.NetworkPolicyIpBlock.ipv4(this, `alb-${index}`, cidr), [
        kplus.NetworkPolicyPort.tcp(ports.usersApi),
      ]);
    // The admin listener: from this namespace's pods only (`bun run admin`'s port-forward enters the pod itself).
    users.addIngressRule(kplus.Pods.all(this, "pods-of-this-namespace"), [
      kplus.NetworkPolicyPort.tcp(ports.usersApiAdmin),
    ]);
    users.addEgressRule(dns, [kplus.NetworkPolicyPort.udp(53), kplus.NetworkPolicyPort.tcp(53)]);
    users.addEgressRule(authApi, [kplus.NetworkPolicyPort.tcp(ports.authApi)]);
    const mongodbPort = [kplus.NetworkPolicyPort.tcp(ports.mongodb)];
    if (mongodb) {
      users.addEgressRule(mongodb, mongodbPort);
    } else if (config.mongodb.mode === "external") {
      for (const [index, cidr] of config.mongodb.egressCidrs.entries()) {
        users.addEgressRule(kplus.NetworkPolicyIpBlock.ipv4(this, `mongodb-${index}`, cidr), mongodbPort);
      }
    }
    // The SMTP server: submission with STARTTLS (587) or TLS from the start (465).
    for (const [index, cidr] of config.mail.egressCidrs.entries()) {
      users.addEgressRule(kplus.NetworkPolicyIpBlock.ipv4(this, `smtp-${index}`, cidr), [
        kplus.NetworkPolicyPort.tcp(587),
        kplus.NetworkPolicyPort.tcp(465),
      ]);
    }

    // auth-api calls nobody, so it gets no egress at all.
    policy("auth-api", authApi).addIngressRule(usersApi, [kplus.NetworkPolicyPort.tcp(ports.authApi)]);
    if (mongodb) policy("mongodb", mongodb).addIngressRule(usersApi, mongodbPort);
  }
}
