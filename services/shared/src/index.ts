export { bearerToken } from "./bearer.ts";
export { ConfigError, commonEnv, InternalTokenSchema, loadConfig, type CommonConfig } from "./config.ts";
/** Plain TypeBox builder for config schemas (see config.ts for why not Elysia's `t`). */
export { Type } from "@sinclair/typebox";
export type { ReadinessCheck } from "./health.ts";
export { createLogger, type Logger, type LogLevel } from "./logging.ts";
export { createMetrics, type Metrics } from "./metrics.ts";
export type { OperationLink } from "./openapi.ts";
export {
  conflict,
  forbidden,
  HttpProblem,
  PROBLEM_CONTENT_TYPE,
  problemResponses,
  serviceUnavailable,
  unauthorized,
  type Problem,
} from "./problem.ts";
export { requestContext } from "./request-id.ts";
export { generateInternalToken } from "./secrets.ts";
export { listen, runService } from "./server.ts";
export { createServiceApp } from "./service.ts";
export {
  type AuthenticationMethods,
  HashRequest,
  HashResponse,
  INTERNAL_CREDENTIAL_PROBLEM,
  LoginPassword,
  NewPassword,
  SessionTokenRequest,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
  TOKEN_VERIFY_OPTIONS,
  TokenRequest,
  TokenResponse,
} from "./auth-contract.ts";
