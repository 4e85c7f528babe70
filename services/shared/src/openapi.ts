import { openapi } from "@elysiajs/openapi";
import { OptionalKind } from "@sinclair/typebox";
import { Elysia } from "elysia";
import { PROBLEM_CONTENT_TYPE } from "./problem.ts";

/** OpenAPI document fields a service gives (info, security schemes…); its routes are documented from their schemas. */
export type Documentation = NonNullable<NonNullable<Parameters<typeof openapi>[0]>["documentation"]>;

/**
 * An OpenAPI link: how a response of one operation feeds a request of another (OpenAPI 3.1 §4.8.20), which is
 * what clients and Schemathesis's stateful phase follow. Operations are named `METHOD /path`, as routed.
 */
export interface OperationLink {
  /** The operation whose response the link starts from, e.g. `POST /signup`. */
  from: string;
  status: number;
  /** The operation the link leads to, e.g. `POST /login`. */
  to: string;
  /** The link's key in the response's `links`. */
  name: string;
  description: string;
  /** Parameters of the target operation, keyed `location.name` (e.g. `header.Authorization`), as runtime expressions. */
  parameters?: Record<string, string>;
  /** The target's request body, runtime expressions as values (e.g. `{ email: "$request.body#/email" }`). */
  requestBody?: Record<string, string>;
}

export const DOCUMENT_PATH = "/swagger/json";

interface ResponseObject {
  description: string;
  content?: Record<string, unknown>;
  headers?: Record<string, unknown>;
  links?: Record<string, unknown>;
}
interface OpenApiDocument {
  paths: Record<
    string,
    Record<
      string,
      {
        requestBody?: { required?: boolean; content?: Record<string, { schema?: Record<string, unknown> }> };
        responses?: Record<string, ResponseObject>;
      }
    >
  >;
}

/** What the document needs to know of a route beyond what @elysiajs/openapi reads: whether its body is optional. */
interface Route {
  method: string;
  path: string;
  hooks: { body?: unknown };
}

const isOptional = (schema: unknown) =>
  typeof schema === "object" &&
  schema !== null &&
  (schema as { [OptionalKind]?: unknown })[OptionalKind] === "Optional";

const isProblemSchema = (media: unknown) => (media as { schema?: { title?: unknown } }).schema?.title === "Problem";

// Every object in a request body schema, nested ones too, documented as taking fields it does not name.
function allowUnknownFields(schema: unknown) {
  if (typeof schema !== "object" || schema === null) return;
  const object = schema as Record<string, unknown>;
  if (object.type === "object") object.additionalProperties = true;
  for (const value of Object.values(object)) allowUnknownFields(value);
}

/**
 * What @elysiajs/openapi 1.4.16 cannot say from route schemas, said by rewriting its document:
 * - every problem response is `application/problem+json`, as sent (it writes `application/json` for every body);
 * - a body-less response (204) has no `content` (it writes `{ type: "void" }` there, which is not a media type map);
 * - a request body declared `t.Optional` is not required (it marks every body required);
 * - unknown fields in a request body are allowed, as they are: Elysia drops them before validating, but once a
 *   route has been compiled its schema objects say `additionalProperties: false`, and the document shares them;
 * - every 503 carries `Retry-After`;
 * - the links each service declares.
 */
function refine(generated: OpenApiDocument, routes: readonly Route[], links: readonly OperationLink[]) {
  const document = structuredClone(generated);
  for (const { method, path, hooks } of routes) {
    const requestBody = document.paths[documentPath(path)]?.[method.toLowerCase()]?.requestBody;
    if (!requestBody) continue;
    if (isOptional(hooks.body)) requestBody.required = false;
    for (const { schema } of Object.values(requestBody.content ?? {})) allowUnknownFields(schema);
  }
  for (const operations of Object.values(document.paths))
    for (const operation of Object.values(operations))
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        const media = response.content?.["application/json"];
        if (media !== undefined && isProblemSchema(media)) response.content = { [PROBLEM_CONTENT_TYPE]: media };
        else if (response.content && Object.values(response.content).some((value) => typeof value !== "object"))
          delete response.content;
        if (status === "503")
          response.headers = {
            ...response.headers,
            "Retry-After": {
              description: "Seconds to wait before trying again",
              required: true,
              schema: { type: "integer", minimum: 1 },
            },
          };
      }
  for (const { from, status, to, name, description, parameters, requestBody } of links) {
    const response = operationOf(document, from).responses?.[status];
    if (!response) throw new Error(`link ${name}: ${from} documents no ${status} response`);
    operationOf(document, to);
    response.links = {
      ...response.links,
      [name]: { operationRef: operationRef(to), description, parameters, requestBody },
    };
  }
  return document;
}

const documentPath = (route: string) => route.replace(/:([^/]+)/g, "{$1}");

function parseOperation(operation: string) {
  const [method, route] = operation.split(" ") as [string, string];
  return { method: method.toLowerCase(), path: documentPath(route) };
}

function operationOf(document: OpenApiDocument, operation: string) {
  const { method, path } = parseOperation(operation);
  const found = document.paths[path]?.[method];
  if (!found) throw new Error(`no operation ${operation} in the OpenAPI document`);
  return found;
}

// A JSON Pointer to the operation (RFC 6901: `~` and `/` escaped), which stays right when operation ids change.
const operationRef = (operation: string) => {
  const { method, path } = parseOperation(operation);
  return `#/paths/${path.replaceAll("~", "~0").replaceAll("/", "~1")}/${method}`;
};

/**
 * The OpenAPI document at `/swagger/json` (generated from the routes' schemas, then refined as `refine` says) and
 * the Swagger UI at `/swagger`.
 */
export const apiDocumentation = ({
  documentation,
  routes,
  links,
}: {
  documentation: Documentation;
  /** The whole app's routes, read when the document is asked for. */
  routes: () => readonly Route[];
  links: readonly OperationLink[];
}) =>
  new Elysia({ name: "accounts.api-documentation" })
    .onAfterHandle(({ path, response }) =>
      path === DOCUMENT_PATH ? refine(response as OpenApiDocument, routes(), links) : undefined,
    )
    .use(
      openapi({
        path: "/swagger",
        specPath: DOCUMENT_PATH,
        provider: "swagger-ui",
        documentation,
        // Otherwise paths with a file extension, like /.well-known/jwks.json, are left out as "static files".
        exclude: { staticFile: false },
      }),
    );
