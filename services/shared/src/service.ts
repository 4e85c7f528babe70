import { Elysia, StatusMap, t } from "elysia";
import type { CommonConfig } from "./config.ts";
import { health, type ReadinessCheck } from "./health.ts";
import type { Logger } from "./logging.ts";
import type { Metrics } from "./metrics.ts";
import { methodNotAllowed } from "./method-not-allowed.ts";
import { objectBodies } from "./object-body.ts";
import { apiDocumentation, type Documentation, type OperationLink } from "./openapi.ts";
import { jsonBodies } from "./body.ts";
import { errorsAsProblems } from "./errors.ts";
import { REQUEST_ID_HEADER, requestContext, trackRequest } from "./request-id.ts";
import { createRequestTimer } from "./timing.ts";

interface ServiceAppOptions {
  /** Service name, as it appears in logs. */
  service: string;
  config: CommonConfig;
  logger: Logger;
  metrics: Metrics;
  /** Checks behind `GET /ready`, by name. */
  readiness: Record<string, ReadinessCheck>;
  /** OpenAPI document fields (info, security schemes…); routes are documented from their schemas. */
  documentation: Documentation;
  /** How one operation's response feeds another's request, published as OpenAPI links. */
  links: readonly OperationLink[];
  /** Milliseconds that never go back (performance.now in index.ts): how long each request took. */
  monotonic: () => number;
}

const statusCode = (status: number | string | undefined) =>
  typeof status === "number" ? status : ((StatusMap as Record<string, number | undefined>)[status ?? ""] ?? 200);

/**
 * The base every service app is built on, in the order Elysia needs: 405 for unserved methods, problem+json
 * errors and body limits first, then request ids, one JSON log line and metrics per request, `/health`, `/ready`,
 * `/metrics` and the OpenAPI docs (`/swagger`, `/swagger/json`). Chain the service's features onto it.
 */
export const createServiceApp = ({
  service,
  config,
  logger,
  metrics,
  readiness,
  documentation,
  links,
  monotonic,
}: ServiceAppOptions) => {
  const app = new Elysia({ name: service });
  const timer = createRequestTimer(monotonic);
  return app
    .use(methodNotAllowed(() => app.routes))
    .use(errorsAsProblems({ logger }))
    .use(jsonBodies({ bodyLimitBytes: config.BODY_LIMIT_BYTES }))
    .use(objectBodies)
    .onRequest(({ request, set }) => {
      timer.start(request);
      set.headers[REQUEST_ID_HEADER] = trackRequest(request);
    })
    .onAfterResponse({ as: "global" }, ({ request, route, set }) => {
      const status = statusCode(set.status);
      const durationMs = timer.elapsedMs(request);
      // The route pattern, never the raw path: it keeps label cardinality bounded and ids out of logs.
      const pattern = route || "unmatched";
      metrics.observeRequest(request.method, pattern, status, durationMs / 1000);
      logger[status >= 500 ? "error" : "info"](
        {
          requestId: set.headers[REQUEST_ID_HEADER],
          method: request.method,
          route: pattern,
          status,
          durationMs: Math.round(durationMs * 10) / 10,
        },
        "request",
      );
    })
    .use(requestContext)
    .use(apiDocumentation({ documentation, routes: () => app.routes, links }))
    .use(health(readiness))
    .get(
      "/metrics",
      async () =>
        new Response(await metrics.registry.metrics(), { headers: { "content-type": metrics.registry.contentType } }),
      {
        detail: { tags: ["operations"], summary: "Prometheus metrics (text exposition format)" },
        response: { 200: t.String() },
      },
    );
};
