export { ConfigError, commonEnv, loadConfig, type CommonConfig } from "./config";
/** Plain TypeBox builder for config schemas (see config.ts for why not Elysia's `t`). */
export { Type } from "@sinclair/typebox";
export type { ReadinessCheck } from "./health";
export { createLogger, type Logger, type LogLevel } from "./logging";
export { createMetrics, type Metrics } from "./metrics";
export {
  conflict,
  forbidden,
  HttpProblem,
  INTERNAL_CREDENTIAL_PROBLEM,
  PROBLEM_CONTENT_TYPE,
  problemResponses,
  serviceUnavailable,
  unauthorized,
  type Problem,
} from "./problem";
export { requestContext } from "./request-id";
export { generateInternalToken } from "./secrets";
export { TOKEN_AUDIENCE, TOKEN_ISSUER } from "./tokens";
export { listen, runService } from "./server";
export { createServiceApp } from "./service";
