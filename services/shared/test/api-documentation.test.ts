// What the fuzzing suite (services/users-api/test/fuzz.test.ts) found wrong in the generated OpenAPI document, each fixed
// in src/openapi.ts: problem responses documented as application/json, a 204 whose `content` was not a media
// type map, an optional body documented as required, no Retry-After on 503, and no links to chain operations.
import { expect, test } from "bun:test";
import { t } from "elysia";
import { type OperationLink, problemResponses } from "../src/index.ts";
import { testServiceApp } from "./helpers.ts";

function build(links: OperationLink[]) {
  return testServiceApp({ links })
    .post("/things", () => ({ id: "1" }), {
      parse: "json",
      body: t.Object({ name: t.String() }),
      response: { 200: t.Object({ id: t.String() }), ...problemResponses(422, 503) },
    })
    .delete("/things/:id", ({ status }) => status(204, undefined), {
      parse: "json",
      body: t.Optional(t.Object({ reason: t.Optional(t.String()) })),
      response: { 204: t.Void(), ...problemResponses(404) },
    });
}

const documentOf = (links: OperationLink[], app = build(links)) =>
  app.handle(new Request("http://localhost/swagger/json"));

// A JSON document read by path: typed loosely on purpose.
// biome-ignore lint/suspicious/noExplicitAny: see above
type Paths = { paths: any };

const create = {
  from: "POST /things",
  status: 200,
  to: "DELETE /things/:id",
  name: "DeleteThing",
  description: "Delete what was made",
  parameters: { "path.id": "$response.body#/id" },
};

test("problem responses are application/problem+json; 503 requires Retry-After; 204 has no content", async () => {
  const response = await documentOf([]);
  expect(response.status).toBe(200);
  const { paths } = (await response.json()) as Paths;
  const post = paths["/things"].post;
  expect(Object.keys(post.responses["200"].content)).toEqual(["application/json"]);
  expect(Object.keys(post.responses["422"].content)).toEqual(["application/problem+json"]);
  expect(post.responses["422"].content["application/problem+json"].schema.title).toBe("Problem");
  expect(post.responses["503"].headers).toEqual({
    "Retry-After": {
      description: "Seconds to wait before trying again",
      required: true,
      schema: { type: "integer", minimum: 1 },
    },
  });
  expect(post.responses["422"].headers).toBeUndefined();
  expect(post.requestBody.required).toBe(true);

  const remove = paths["/things/{id}"].delete;
  expect(remove.responses["204"]).toEqual({ description: "Response for status 204" });
  expect(Object.keys(remove.responses["404"].content)).toEqual(["application/problem+json"]);
  expect(remove.requestBody.required).toBe(false);
  // Every operation of the base app too: /ready's 503 is a problem with Retry-After.
  expect(Object.keys(paths["/ready"].get.responses["503"].content)).toEqual(["application/problem+json"]);
  expect(paths["/ready"].get.responses["503"].headers["Retry-After"].required).toBe(true);
});

test("request bodies allow unknown fields, which are ignored, even after Elysia compiled the route", async () => {
  const app = build([]);
  const post = { method: "POST", headers: { "content-type": "application/json" }, body: '{"name":"a","x":1}' };
  expect(await (await app.handle(new Request("http://localhost/things", post))).json()).toEqual({ id: "1" });
  const { paths } = (await (await documentOf([], app)).json()) as Paths;
  expect(paths["/things"].post.requestBody.content["application/json"].schema).toEqual({
    type: "object",
    required: ["name"],
    properties: { name: { type: "string" } },
    additionalProperties: true,
  });
});

test("declared links land on the source operation's response, pointing at the target by JSON Pointer", async () => {
  const { paths } = (await (await documentOf([create])).json()) as Paths;
  expect(paths["/things"].post.responses["200"].links).toEqual({
    DeleteThing: {
      operationRef: "#/paths/~1things~1{id}/delete",
      description: "Delete what was made",
      parameters: { "path.id": "$response.body#/id" },
    },
  });
});

test("a link to or from an operation that does not exist fails the document instead of vanishing", async () => {
  expect((await documentOf([{ ...create, to: "GET /nowhere" }])).status).toBe(500);
  expect((await documentOf([{ ...create, status: 201 }])).status).toBe(500);
});
