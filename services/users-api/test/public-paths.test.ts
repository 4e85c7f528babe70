// The Ingress routes PUBLIC_EXACT_PATHS and PUBLIC_PATH_PREFIXES from the internet: every route of the app must be one
// of them or an operations route that stays inside the cluster, so a new route cannot be left out of the Ingress.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Connection } from "mongoose";
import { PUBLIC_EXACT_PATHS, PUBLIC_PATH_PREFIXES } from "../src/public-paths.ts";
import { connectTestDatabase, dropTestDatabase } from "./database.ts";
import { buildUsersApp } from "./support.ts";

const INSIDE_THE_CLUSTER = ["/health", "/ready", "/metrics", "/swagger", "/swagger/json"];

let db: Connection;
beforeAll(async () => {
  db = await connectTestDatabase("users_public_paths");
});
afterAll(() => dropTestDatabase(db));

test("every route is public by the Ingress's paths or an operations route; no public path is a route nobody serves", () => {
  const { app } = buildUsersApp(db, "http://127.0.0.1:9");
  // OPTIONS: @elysiajs/cors answers preflights on every path (`/`, `/*`), public or not.
  const paths = [...new Set(app.routes.filter((route) => route.method !== "OPTIONS").map((route) => route.path))];
  const isPublic = (path: string) =>
    (PUBLIC_EXACT_PATHS as readonly string[]).includes(path) ||
    PUBLIC_PATH_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
  expect(paths.filter((path) => !isPublic(path) && !INSIDE_THE_CLUSTER.includes(path))).toEqual([]);
  expect(PUBLIC_EXACT_PATHS.filter((path) => !paths.includes(path))).toEqual([]);
  expect(PUBLIC_PATH_PREFIXES.filter((prefix) => !paths.some((path) => path.startsWith(prefix)))).toEqual([]);
  expect(paths.filter((path) => isPublic(path) && INSIDE_THE_CLUSTER.includes(path))).toEqual([]);
});
