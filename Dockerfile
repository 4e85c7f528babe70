# syntax=docker/dockerfile:1
# One image per service, built from the repository root (the Bun workspaces share one lockfile):
#   docker build --build-arg SERVICE=users-api -t users-api .
#   docker build --build-arg SERVICE=auth-api -t auth-api .
# SERVICE is the folder under services/ and the workspace @accounts/<SERVICE>. An ARG is scoped to its stage, so
# each stage declares it again.

FROM oven/bun:1.4.5-slim AS dependencies
ARG SERVICE
RUN test -n "$SERVICE" || { echo "build with --build-arg SERVICE=users-api or SERVICE=auth-api" >&2; exit 1; }
WORKDIR /app
# Only the workspaces this image runs: Bun skips the lockfile's other workspaces, and their changes keep this layer cached.
COPY package.json bun.lock bunfig.toml ./
# The fixes we carry in dependencies (package.json "patchedDependencies"): the install applies them.
COPY patches patches
COPY services/shared/package.json services/shared/
COPY services/${SERVICE}/package.json services/${SERVICE}/
RUN bun install --production --frozen-lockfile --filter "@accounts/${SERVICE}"

# No shell, no package manager: only Bun and what it runs.
FROM oven/bun:1.4.5-distroless
ARG SERVICE
WORKDIR /app
# The root filesystem is read-only in the cluster: do not try to cache transpiled files on it.
ENV NODE_ENV=production BUN_RUNTIME_TRANSPILER_CACHE_PATH=0
COPY --from=dependencies /app/node_modules node_modules
COPY --from=dependencies /app/services/shared/node_modules services/shared/node_modules
COPY --from=dependencies /app/services/${SERVICE}/node_modules services/${SERVICE}/node_modules
COPY package.json ./
COPY services/shared/package.json services/shared/
COPY services/shared/src services/shared/src
COPY services/${SERVICE}/package.json services/${SERVICE}/
COPY services/${SERVICE}/src services/${SERVICE}/src
# The UID/GID the Kubernetes manifests run as (k8s/src/config.ts: runAsId). Files stay root-owned: read-only to it.
USER 10001:10001
WORKDIR /app/services/${SERVICE}
# No EXPOSE: the service listens on its PORT (its config default, or the value its ConfigMap sets).
ENTRYPOINT ["bun", "src/index.ts"]
