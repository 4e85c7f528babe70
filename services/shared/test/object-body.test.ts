// Found by the fuzzing suite (services/users-api/test/fuzz.test.ts): Elysia turned a JSON array or primitive into an
// empty object, so DELETE /user took `[null, null]` for its all-optional body and answered 204.
import { expect, test } from "bun:test";
import { t } from "elysia";
import { testServiceApp } from "./helpers.ts";

const app = testServiceApp()
  .post("/optional", ({ body }) => ({ got: body ?? null }), {
    parse: "json",
    body: t.Optional(t.Object({ reason: t.Optional(t.String()) })),
  })
  .post("/required", ({ body }) => ({ got: body }), { parse: "json", body: t.Object({ name: t.String() }) });

const post = (path: string, body?: string) =>
  app.handle(
    new Request(`http://localhost${path}`, {
      method: "POST",
      ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body }),
    }),
  );

test("a JSON body that is not an object gets 422 naming the body, whatever the route's schema", async () => {
  for (const path of ["/optional", "/required"])
    for (const body of ["[null, null]", "[]", '"text"', "42", "true", "null"]) {
      const response = await post(path, body);
      expect({ path, body, status: response.status, problem: await response.json() }).toEqual({
        path,
        body,
        status: 422,
        problem: {
          type: "about:blank",
          title: "Unprocessable Content",
          status: 422,
          detail: "Request body is invalid",
          errors: [{ field: "body", pointer: "#", message: "Expected object" }],
        },
      });
    }
});

test("objects, and no body where the body is optional, still reach the handler", async () => {
  expect(await (await post("/optional")).json()).toEqual({ got: null });
  expect(await (await post("/optional", '{"reason":"moving"}')).json()).toEqual({ got: { reason: "moving" } });
  expect(await (await post("/required", '{"name":"ada"}')).json()).toEqual({ got: { name: "ada" } });
});
