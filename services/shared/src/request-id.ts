import { Elysia } from "elysia";

/** Header carrying the request id from caller to callee and back in every response. */
export const REQUEST_ID_HEADER = "x-request-id";

// Callers' ids are trusted only when short and plain, so they cannot forge log lines.
const VALID_REQUEST_ID = /^[\w.:-]{1,128}$/;

interface RequestInfo {
  id: string;
  startedAt: number;
}

// Keyed by the Request itself: onRequest runs before routing, so even 404s and parse errors get an id.
const requests = new WeakMap<Request, RequestInfo>();

/** Records when a request arrived and which id it carries (the caller's, if valid, else a new UUID). */
export function trackRequest(request: Request): string {
  const given = request.headers.get(REQUEST_ID_HEADER);
  const id = given && VALID_REQUEST_ID.test(given) ? given : crypto.randomUUID();
  requests.set(request, { id, startedAt: performance.now() });
  return id;
}

/** The id given to `request` by `trackRequest`, or undefined for an untracked request. */
export const requestIdOf = (request: Request) => requests.get(request)?.id;

/** Milliseconds since `trackRequest` saw `request`. */
export function elapsedMs(request: Request): number {
  const info = requests.get(request);
  return info ? performance.now() - info.startedAt : 0;
}

/** Plugin giving handlers a typed `requestId` (e.g. to pass on to another service in `x-request-id`). */
export const requestContext = new Elysia({ name: "accounts.request-context" }).derive(
  { as: "global" },
  ({ request }) => ({
    requestId: requestIdOf(request) ?? trackRequest(request),
  }),
);
