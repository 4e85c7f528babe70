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

/** The methods some route serves at `path`, HEAD included wherever GET is (Elysia answers HEAD for GET routes). */
export function allowedMethods(routes: readonly Route[], path: string): string[] {
  const methods = new Set<string>();
  for (const route of routes) {
    if (!matcherOf(route.path).test(path)) continue;
    methods.add(route.method.toUpperCase());
    if (route.method.toUpperCase() === "GET") methods.add("HEAD");
  }
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
