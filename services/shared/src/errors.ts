import { Elysia, ParseError, ValidationError } from "elysia";
import type { Logger } from "./logging.ts";
import { badRequest, HttpProblem, PROBLEM_CONTENT_TYPE, titleOf, type Problem } from "./problem.ts";
import { requestIdOf } from "./request-id.ts";

function validationErrors(error: ValidationError): NonNullable<Problem["errors"]> {
  const seen = new Set<string>();
  const errors: NonNullable<Problem["errors"]> = [];
  for (const { path, message } of error.all) {
    // `summary` and `value` are left out: they can quote the submitted value, and that could be a password.
    const key = `${path}\n${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    errors.push({ field: path === "" ? error.type : path.slice(1).replaceAll("/", "."), pointer: `#${path}`, message });
  }
  return errors;
}

// A required body that is missing, as Elysia's JSON parser reports it (see body.ts): a 422 like
// any other invalid input.
const missingBody: Problem = {
  type: "about:blank",
  title: titleOf(422),
  status: 422,
  detail: "Request body is invalid",
  errors: [{ field: "body", pointer: "#", message: "Expected a JSON body" }],
};

function toProblem(
  code: unknown,
  error: unknown,
  request: Request,
): { problem: Problem; retryAfterSeconds?: number } | undefined {
  // Elysia wraps whatever a parser throws in a ParseError; ours are problems already.
  if (error instanceof ParseError && error.cause instanceof HttpProblem) error = error.cause;
  if (error instanceof HttpProblem)
    return { problem: error.toProblem(), retryAfterSeconds: error.extra.retryAfterSeconds };
  if (error instanceof ValidationError) {
    if (error.type === "response") return undefined;
    const where = error.type === "body" ? "Request body" : `Request ${error.type}`;
    return {
      problem: {
        type: "about:blank",
        title: titleOf(422),
        status: 422,
        detail: `${where} is invalid`,
        errors: validationErrors(error),
      },
    };
  }
  if (code === "PARSE")
    return { problem: request.body === null ? missingBody : badRequest("Request body is not valid JSON").toProblem() };
  if (code === "NOT_FOUND") return { problem: new HttpProblem(404, "No such route").toProblem() };
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status === "number" && status >= 400 && status < 500) {
    return { problem: new HttpProblem(status, titleOf(status)).toProblem() };
  }
  return undefined;
}

// Neither Bun nor Elysia has a status for a request its client abandoned; nginx's 499 is the one logs and dashboards
// know. Only the request's own abort reason counts: any other error stays an error even if the client has gone too.
const clientLeft = (error: unknown, request: Request): ReturnType<typeof toProblem> =>
  request.signal.aborted && error === request.signal.reason
    ? { problem: new HttpProblem(499, "The client closed the request before it was answered").toProblem() }
    : undefined;

/**
 * Makes every error an RFC 9457 problem+json response: invalid input 422 naming each field (never echoing
 * its value), parse failures 400 (or 422 for a missing body), unknown routes 404, thrown `HttpProblem`s
 * their own status, a request failed by its own client's abort 499 (its answer reaches nobody), anything unexpected
 * a generic 500 that is logged with the request id.
 */
export const errorsAsProblems = ({ logger }: { logger: Logger }) =>
  new Elysia({ name: "accounts.error-problems" }).onError({ as: "global" }, ({ code, error, set, request }) => {
    const mapped = clientLeft(error, request) ?? toProblem(code, error, request);
    if (!mapped) {
      const requestId = requestIdOf(request);
      // A response that fails its schema is our bug; its error message would quote the response, so only fields are logged.
      if (error instanceof ValidationError)
        logger.error({ requestId, errors: validationErrors(error) }, "response failed its schema");
      else logger.error({ err: error, requestId }, "unhandled error");
    }
    const { problem, retryAfterSeconds } = mapped ?? {
      problem: new HttpProblem(
        500,
        "Something went wrong on our side; the request id is in the x-request-id header",
      ).toProblem(),
    };
    set.status = problem.status;
    set.headers["content-type"] = PROBLEM_CONTENT_TYPE;
    if (retryAfterSeconds !== undefined) set.headers["retry-after"] = String(retryAfterSeconds);
    return problem;
  });
