// The one place `bun run test:fast` is chosen. The rule: a suite is fast when it needs nothing but Bun, so it runs
// anywhere, at once: no database (FerretDB or MONGODB_URI), no Go tool (etcd, kube-apiserver, kube-score, toxiproxy,
// actionlint), no Python tool (Schemathesis), no browser and no benchmark. fast-tests.test.ts holds every listed file
// to that by what it imports. Every users-api suite that builds the app needs a database, so users-api contributes
// only its pure units. `bun run test` still runs every suite, these included.

/** Test files and folders, relative to the repository root, as `bun test` takes them. */
export const FAST_TESTS = [
  "services/shared/test/",
  "services/auth-api/test/",
  "services/users-api/test/admission.test.ts",
  "services/users-api/test/auth-client.test.ts",
  "services/users-api/test/config.test.ts",
  "services/users-api/test/mfa-primitives.test.ts",
  "k8s/test/synth.test.ts",
  "k8s/test/manifests.test.ts",
  "scripts/lib/fast-tests.test.ts",
  "scripts/docs.test.ts",
  "scripts/docs-links.test.ts",
  "scripts/testing/imports.test.ts",
  "scripts/testing/clock.test.ts",
  "scripts/deploy/rollout.test.ts",
  "scripts/deploy/eks-token.test.ts",
  "scripts/deploy/eks.test.ts",
  "bench/test/report.test.ts",
  "bench/test/peer-growth-report.test.ts",
] as const;

/** What a suite that is not fast imports or starts: a database, a Go or Python tool, a browser, the benchmark. */
export const SLOW_MARKERS = [
  /from "\.\/database\.ts"/,
  /from "\.\/support\.ts"/,
  /startFerretDB|ensureGoTools|ensurePythonTools|env\.MONGODB_URI/,
  /^import (?!type)[^;]*(kube-apiserver|control-plane|toxiproxy|playwright|lib\/system)(\.ts)?"/m,
  /bench\/src\/main/,
] as const;
