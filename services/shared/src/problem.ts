import { Elysia, InvertedStatusMap, ParseError, t, ValidationError, type Static } from "elysia";
import type { Logger } from "pino";
import { requestIdOf } from "./request-id.ts";

/** RFC 9457 problem details, as every error response of both services carries it. */
const ProblemSchema = t.Object(
  {
    type: t.String({ description: "Problem type URI; about:blank means the HTTP status says it all" }),
    title: t.String(),
    status: t.Integer(),
    detail: t.Optional(t.String()),
    errors: t.Optional(
      t.Array(
        t.Object({
          field: t.String({ description: "Dotted path of the offending input, e.g. `password`" }),
          pointer: t.String({ description: "JSON Pointer into the request body, e.g. `#/password`" }),
          message: t.String(),
        }),
        { description: "Present on 422: one entry per invalid field" },
      ),
    ),
    checks: t.Optional(
      t.Record(t.String(), t.String(), { description: "Present on /ready failures: state of each check" }),
    ),
  },
  { title: "Problem" },
);

/** A problem details body. */
export type Problem = Static<typeof ProblemSchema>;

/** Content type of every error response. */
export const PROBLEM_CONTENT_TYPE = "application/problem+json";

const titleOf = (status: number) => (InvertedStatusMap as Record<number, string | undefined>)[status] ?? "Error";

/**
 * An error that becomes a problem+json response with its status. Throw it from handlers and hooks.
 * `detail` is shown to the client: never put a secret or submitted value in it.
 */
export class HttpProblem extends Error {
  override name = "HttpProblem";

  constructor(
    readonly status: number,
    readonly detail: string,
    readonly extra: { type?: string; retryAfterSeconds?: number; checks?: Record<string, string> } = {},
  ) {
    super(detail);
  }

  /** The response body. */
  toProblem(): Problem {
    const problem: Problem = {
      type: this.extra.type ?? "about:blank",
      title: titleOf(this.status),
      status: this.status,
      detail: this.detail,
    };
    if (this.extra.checks) problem.checks = this.extra.checks;
    return problem;
  }
}

/** 400 Bad Request. */
const badRequest = (detail: string) => new HttpProblem(400, detail);
/** 401 Unauthorized: missing or wrong credentials. */
export const unauthorized = (detail = "Missing or invalid credentials") => new HttpProblem(401, detail);

/** 403 Forbidden: authenticated but not allowed. */
export const forbidden = (detail: string) => new HttpProblem(403, detail);
/** 409 Conflict, e.g. a duplicate unique value. */
export const conflict = (detail: string) => new HttpProblem(409, detail);
/** 503 Service Unavailable, with `Retry-After` when the caller should come back later. */
export const serviceUnavailable = (detail: string, retryAfterSeconds?: number) =>
  new HttpProblem(503, detail, retryAfterSeconds === undefined ? {} : { retryAfterSeconds });

/** `response` entries for route docs: `response: { 200: Body, ...problemResponses(401, 422) }`. */
export const problemResponses = <const S extends number>(...statuses: S[]) =>
  Object.fromEntries(statuses.map((status) => [status, ProblemSchema])) as Record<S, typeof ProblemSchema>;

const isJson = (contentType: string) => {
  const mediaType = contentType.split(";", 1)[0]!.trim().toLowerCase();
  return mediaType === "application/json" || mediaType.endsWith("+json");
};

// Streams the body and stops at the limit, so chunked uploads without Content-Length are bounded too.
// Bun's own `maxRequestBodySize` is left at its default on purpose: it answers a bare 413 before
// the app runs, whereas this check answers problem+json.
async function readBodyWithin(request: Request, limitBytes: number): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > limitBytes) throw tooLarge(limitBytes);
  const reader = request.body!.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limitBytes) {
      await reader.cancel();
      throw tooLarge(limitBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

const tooLarge = (limitBytes: number) => new HttpProblem(413, `Request body is larger than ${limitBytes} bytes`);

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

// A required body that is missing, as Elysia's JSON parser reports it (see `problemHandling`): a 422 like
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

/**
 * Makes every error an RFC 9457 problem+json response and bounds request bodies to JSON of at most
 * `bodyLimitBytes`: other content types get 415, malformed JSON 400, larger bodies 413, invalid
 * input 422 naming each field (never echoing its value), anything unexpected a generic 500 that
 * is logged with the request id. Register before routes.
 *
 * Routes that take a body also say `parse: 'json'`: that is how @elysiajs/openapi learns to document the
 * body's schema as application/json (it cannot see into the custom parser here). Elysia's JSON parser then
 * runs after this one, so it only ever sees bodiless requests: it leaves an optional body unset and fails
 * a required one, which `toProblem` answers with 422 as validation would.
 */
export const problemHandling = ({ logger, bodyLimitBytes }: { logger: Logger; bodyLimitBytes: number }) =>
  new Elysia({ name: "accounts.problem-handling" })
    .onParse({ as: "global" }, async ({ request }, contentType) => {
      if (request.body === null) return;
      if (!isJson(contentType)) throw new HttpProblem(415, "Request body must be application/json");
      const text = await readBodyWithin(request, bodyLimitBytes);
      try {
        return JSON.parse(text);
      } catch {
        throw badRequest("Request body is not valid JSON");
      }
    })
    .onError({ as: "global" }, ({ code, error, set, request }) => {
      const mapped = toProblem(code, error, request);
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
