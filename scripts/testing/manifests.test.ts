// Every object `bun run synth` writes, applied to the real API server: what kube-score and our asserts cannot see
// (schema, defaulting, admission) shows up here. Each object is server-side dry-run applied, then applied for real,
// then read back with every field we sent unchanged: a field the server dropped (misplaced, unknown to the schema) or
// rewrote would never reach the cluster as written, or make every deploy a diff.
import { describe, expect, test } from "bun:test";
import { environments, synthManifests } from "@accounts/k8s";
import { kubeTestServer } from "./kube-apiserver.ts";

type KubeObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };
interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
}

const cluster = await kubeTestServer();
const fieldManager = "accounts-manifests-test";

// Not describe.skipIf: bun runs a skipped describe's body too, and this one needs the server.
if (!cluster) test.skip("synthesized manifests on a real kube-apiserver (needs Go, see the message above)", () => {});
else
  describe("synthesized manifests on a real kube-apiserver", () => {
    const { server, caPem, token } = cluster;
    const request = (path: string, init: RequestInit = {}) =>
      fetch(`${server}${path}`, {
        ...init,
        tls: { ca: caPem },
        headers: { authorization: `Bearer ${token}`, ...init.headers },
      });

    const discovery = new Map<string, Promise<ApiResource[]>>();
    async function objectPath({ apiVersion, kind, metadata }: KubeObject): Promise<string> {
      const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      if (!discovery.has(base)) {
        discovery.set(
          base,
          request(base).then(async (response) => ((await response.json()) as { resources: ApiResource[] }).resources),
        );
      }
      const resource = (await discovery.get(base)!).find(
        (candidate) => candidate.kind === kind && !candidate.name.includes("/"),
      );
      if (!resource) throw new Error(`the API server does not serve ${kind} in ${apiVersion}`);
      const scope = resource.namespaced ? `/namespaces/${metadata.namespace}` : "";
      return `${base}${scope}/${resource.name}/${metadata.name}`;
    }

    const apply = (path: string, object: KubeObject, dryRun: boolean) =>
      request(`${path}?fieldManager=${fieldManager}&force=true${dryRun ? "&dryRun=All" : ""}`, {
        method: "PATCH",
        headers: { "content-type": "application/apply-patch+yaml" },
        body: JSON.stringify(object),
      });

    // Both environments target the namespace `accounts` (one per cluster). Each test moves its object to a namespace
    // of its own, so no test meets what another applied: a namespaced object's test creates that namespace first, the
    // Namespace's test creates it by applying the object, and a cluster-scoped object is renamed after it (as the
    // deploy tool's tests do). Namespaces cannot be deleted here (no namespace controller): the names are new each run.
    const run = Date.now().toString(36);
    let namespaces = 0;
    const placeInOwnNamespace = (object: KubeObject, environment: string): KubeObject => {
      const namespace = `accounts-${environment}-${run}-${++namespaces}`;
      if (object.kind === "Namespace") return { ...object, metadata: { ...object.metadata, name: namespace } };
      if (object.metadata.namespace) return { ...object, metadata: { ...object.metadata, namespace } };
      return { ...object, metadata: { ...object.metadata, name: `${namespace}-${object.metadata.name}` } };
    };
    const createNamespace = async (name: string) => {
      const response = await request("/api/v1/namespaces", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name } }),
      });
      expect(response.status, await response.text()).toBe(201);
    };

    describe.each(environments)("%s", (environment) => {
      const objects = synthManifests(environment, { imageTag: "0123abc" }) as KubeObject[];

      test.each(objects.map((object) => [`${object.kind} ${object.metadata.name}`, object] as const))(
        "%s: dry-run, apply, read back unchanged",
        async (_, synthesized) => {
          const object = placeInOwnNamespace(synthesized, environment);
          if (object.metadata.namespace) await createNamespace(object.metadata.namespace);
          const path = await objectPath(object);
          expect((await request(path)).status).toBe(404);

          const dryRun = await apply(path, object, true);
          expect(dryRun.status, await dryRun.clone().text()).toBeOneOf([200, 201]);
          expect(differences(object, await dryRun.json())).toEqual([]);
          expect((await request(path)).status).toBe(404);

          const applied = await apply(path, object, false);
          expect(applied.status, await applied.clone().text()).toBeOneOf([200, 201]);

          const read = await request(path);
          expect(read.status).toBe(200);
          expect(differences(object, await read.json())).toEqual([]);
        },
      );
    });
  });

const binarySuffixes: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
const decimalSuffixes: Record<string, number> = { "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** The value of a Kubernetes quantity as we write them ("250m", "0.25Gi", "2"); NaN for anything else. */
function quantityValue(text: string): number {
  const [, number, suffix = ""] = /^([0-9.]+)([a-zA-Z]*)$/.exec(text) ?? [];
  if (number === undefined) return Number.NaN;
  if (suffix === "m") return Number(number) / 1000;
  return Number(number) * (binarySuffixes[suffix] ?? decimalSuffixes[suffix] ?? Number.NaN);
}

const isZero = (value: unknown) =>
  value === false ||
  value === 0 ||
  value === "" ||
  (Array.isArray(value) && value.length === 0) ||
  (typeof value === "object" && value !== null && Object.keys(value).length === 0);

/**
 * Where `actual` lacks or alters what `expected` says, as readable paths. Not differences: a zero value the server
 * leaves out (Go's `omitempty`), and a quantity it returns in canonical form ("1000m" as "1", "0.25Gi" as "256Mi").
 */
function differences(expected: unknown, actual: unknown, path = "", isQuantity = false): string[] {
  if (expected === actual || (actual === undefined && isZero(expected))) return [];
  const differs = [`${path || "object"}: ${JSON.stringify(expected)} came back as ${JSON.stringify(actual)}`];
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return differs;
    return expected.flatMap((item, index) => differences(item, actual[index], `${path}[${index}]`));
  }
  if (typeof expected === "object" && expected !== null) {
    if (typeof actual !== "object" || actual === null) return differs;
    return Object.entries(expected).flatMap(([key, value]) =>
      differences(
        value,
        (actual as Record<string, unknown>)[key],
        `${path}.${key}`,
        isQuantity || ["requests", "limits", "sizeLimit"].includes(key),
      ),
    );
  }
  const sameQuantity =
    isQuantity &&
    typeof expected === "string" &&
    typeof actual === "string" &&
    quantityValue(expected) === quantityValue(actual);
  return sameQuantity ? [] : differs;
}
