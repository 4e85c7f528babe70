import { Elysia } from "elysia";

/** Header carrying the request id from caller to callee and back in every response. */
export const REQUEST_ID_HEADER = "x-request-id";

// Callers' ids are trusted only when short and plain, so they cannot forge log lines.
const VALID_REQUEST_ID = /^[\w.:-]{1,128}$/;

// Keyed by the Request itself: onRequest runs before routing, so even 404s and parse errors get an id.
const ids = new WeakMap<Request, string>();

/** Gives `request` its id (the caller's, if valid, else a new UUID) and returns it. */
export function trackRequest(request: Request): string {
  const given = request.headers.get(REQUEST_ID_HEADER);
  const id = given && VALID_REQUEST_ID.test(given) ? given : crypto.randomUUID();
  ids.set(request, id);
  return id;
}

/** The id given to `request` by `trackRequest`, or undefined for an untracked request. */
export const requestIdOf = (request: Request) => ids.get(request);

/** Plugin giving handlers a typed `requestId` (e.g. to pass on to another service in `x-request-id`). */
export const requestContext = new Elysia({ name: "accounts.request-context" }).derive(
  { as: "global" },
  ({ request }) => ({
    requestId: requestIdOf(request) ?? trackRequest(request),
  }),
);
