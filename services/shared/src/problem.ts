import { InvertedStatusMap, t, type Static } from "elysia";

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

/** The status's reason phrase, the `title` of a problem that only its status describes. */
export const titleOf = (status: number) => (InvertedStatusMap as Record<number, string | undefined>)[status] ?? "Error";

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
export const badRequest = (detail: string) => new HttpProblem(400, detail);
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
