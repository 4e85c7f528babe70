import { Elysia } from "elysia";
import { HttpProblem, PROBLEM_CONTENT_TYPE } from "./problem.ts";

interface Route {
  method: string;
  path: string;
}

// Elysia's route patterns: `:name` is one path segment, `*` the rest of the path.
const matcherOf = (pattern: string) =>
  new RegExp(
    `^${pattern
      .split(/(:[^/]+|\*)/)
      .map((part) =>
        part === "*" ? ".*" : part.startsWith(":") ? "[^/]+" : part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"),
      )
      .join("")}$`,
  );

/**
 * The methods some route serves at `path`, HEAD included wherever GET is (Elysia answers HEAD for GET routes); none
 * for a path only OPTIONS routes match. Those are CORS preflights, which the CORS plugin routes on every path (`/` and
 * `/*`): they answer for any path, so they say nothing about which paths exist, and a path that only they match is
 * one nothing serves (404). Where another route serves the path, OPTIONS is listed with the rest.
 */
export function allowedMethods(routes: readonly Route[], path: string): string[] {
  const matching = routes.filter((route) => matcherOf(route.path).test(path));
  const methods = new Set(matching.map((route) => route.method.toUpperCase()));
  if ([...methods].every((method) => method === "OPTIONS")) return [];
  if (methods.has("GET")) methods.add("HEAD");
  return [...methods].sort();
}

/**
 * RFC 9110 §15.5.6: a request for a path that exists, with a method none of its routes serves, gets 405 and
 * `Allow` naming the methods that are served, rather than the router's 404. `routes` reads the whole app's routes
 * at request time, so routes added after this plugin count too. Register before `errorsAsProblems`, whose 404 it
 * pre-empts: Elysia's first error handler to answer wins.
 */
export const methodNotAllowed = (routes: () => readonly Route[]) =>
  new Elysia({ name: "accounts.method-not-allowed" }).onError({ as: "global" }, ({ code, request, set }) => {
    if (code !== "NOT_FOUND") return;
    const allowed = allowedMethods(routes(), new URL(request.url).pathname);
    if (allowed.length === 0) return;
    set.status = 405;
    set.headers.allow = allowed.join(", ");
    set.headers["content-type"] = PROBLEM_CONTENT_TYPE;
    return new HttpProblem(
      405,
      "This path does not serve that method; the Allow header lists those it does",
    ).toProblem();
  });
