import { Elysia, t, ValidationError } from "elysia";

const JsonObject = t.Object({});

/**
 * Every request body is a JSON object. Elysia's normalization turns an array or a primitive into an empty
 * object before validating it, so `[null]` passed a body whose fields are all optional and `[1]` got a 422
 * about a missing field instead of about its type (both found by the fuzzing suite). Checked on transform,
 * after parsing and before validation, and answered as validation answers: 422 naming the body.
 */
export const objectBodies = new Elysia({ name: "accounts.object-bodies" }).onTransform({ as: "global" }, ({ body }) => {
  if (body !== undefined && (typeof body !== "object" || body === null || Array.isArray(body)))
    throw new ValidationError("body", JsonObject, body);
});
