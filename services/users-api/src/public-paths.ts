// The paths users-api answers the internet on. The Ingress routes these and nothing else, so /metrics, /ready,
// /health and the API docs stay inside the cluster (test/public-paths.test.ts checks every route of the app is
// either here or one of those).

/** Routed as exact paths. */
export const PUBLIC_EXACT_PATHS = [
  "/signup",
  "/login",
  "/login/mfa",
  "/refresh",
  "/logout",
  "/user",
  "/user/password",
  "/user/email",
  "/user/security-events",
  "/user/email/confirm",
  "/user/email/revert",
  "/email/verify",
  "/email/verify/resend",
  "/password/forgot",
  "/password/reset",
  "/verify-email",
  "/reset-password",
  "/email-change/confirm",
  "/email-change/revert",
] as const;

/** Routed with everything below them: `/sessions/:id`, the second factor's routes, and the pages' script and style. */
export const PUBLIC_PATH_PREFIXES = ["/sessions", "/mfa", "/pages"] as const;
