import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { kubeTestServer } from "./kube-apiserver.ts";
import { createTestPki } from "./pki.ts";

const cluster = await kubeTestServer();

// Not describe.skipIf: bun runs a skipped describe's body too, and this one needs the server.
if (!cluster) test.skip("kube-apiserver test harness (needs Go, see the message above)", () => {});
else
  describe("kube-apiserver test harness", () => {
    const { server, caPem, token, kubeconfig, kubeconfigPath } = cluster;
    const trusted = { tls: { ca: caPem }, headers: { authorization: `Bearer ${token}` } };

    test("is one server per process", async () => {
      expect(await kubeTestServer()).toBe(cluster);
    });

    test("creates a Namespace and reads it back", async () => {
      const name = `harness-${crypto.randomUUID()}`;
      const created = await fetch(`${server}/api/v1/namespaces`, {
        ...trusted,
        method: "POST",
        headers: { ...trusted.headers, "content-type": "application/json" },
        body: JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels: { purpose: "test" } } }),
      });
      expect(created.status).toBe(201);
      const { metadata: createdMetadata } = (await created.json()) as { metadata: { uid: string } };

      const read = await fetch(`${server}/api/v1/namespaces/${name}`, trusted);
      expect(read.status).toBe(200);
      expect(await read.json()).toMatchObject({
        kind: "Namespace",
        metadata: { name, uid: createdMetadata.uid, labels: { purpose: "test" } },
      });
    });

    test("refuses a client that trusts another CA", async () => {
      const otherCa = (await createTestPki()).caPem;
      await expect(fetch(`${server}/version`, { ...trusted, tls: { ca: otherCa } })).rejects.toThrow(/certificate/);
    });

    test("refuses a client that trusts only the public CAs", async () => {
      await expect(fetch(`${server}/version`, { headers: trusted.headers })).rejects.toThrow(/certificate/);
    });

    test("forbids anonymous requests and rejects a wrong token", async () => {
      const anonymous = await fetch(`${server}/api/v1/namespaces`, { tls: trusted.tls });
      expect([401, 403]).toContain(anonymous.status);
      const wrongToken = await fetch(`${server}/api/v1/namespaces`, {
        tls: trusted.tls,
        headers: { authorization: "Bearer not-the-token" },
      });
      expect(wrongToken.status).toBe(401);
    });

    test("hands out a kubeconfig with the CA, the token and context test", () => {
      expect(readFileSync(kubeconfigPath, "utf8")).toBe(kubeconfig);
      const config = Bun.YAML.parse(kubeconfig) as {
        "current-context": string;
        clusters: { name: string; cluster: { server: string; "certificate-authority-data": string } }[];
        users: { name: string; user: { token: string } }[];
        contexts: { name: string; context: { cluster: string; user: string } }[];
      };
      expect(config["current-context"]).toBe("test");
      const [context] = config.contexts;
      expect(context?.name).toBe("test");
      const clusterEntry = config.clusters.find(({ name }) => name === context?.context.cluster);
      expect(clusterEntry?.cluster.server).toBe(server);
      expect(Buffer.from(clusterEntry?.cluster["certificate-authority-data"] ?? "", "base64").toString()).toBe(caPem);
      expect(config.users.find(({ name }) => name === context?.context.user)?.user.token).toBe(token);
    });
  });
