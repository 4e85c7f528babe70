import { Elysia } from "elysia";
import { badRequest, HttpProblem } from "./problem.ts";

const isJson = (contentType: string) => {
  const mediaType = contentType.split(";", 1)[0]!.trim().toLowerCase();
  return mediaType === "application/json" || mediaType.endsWith("+json");
};

// Streams the body and stops at the limit, so chunked uploads without Content-Length are bounded too.
// Bun's own `maxRequestBodySize` is left at its default on purpose: it answers a bare 413 before
// the app runs, whereas this check answers problem+json.
async function readBodyWithin(request: Request, limitBytes: number): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > limitBytes) throw tooLarge(limitBytes);
  const reader = request.body!.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limitBytes) {
      await reader.cancel();
      throw tooLarge(limitBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

const tooLarge = (limitBytes: number) => new HttpProblem(413, `Request body is larger than ${limitBytes} bytes`);

/**
 * Bounds request bodies to JSON of at most `bodyLimitBytes`: other content types get 415, malformed JSON
 * 400, larger bodies 413. Register before routes.
 *
 * Routes that take a body also say `parse: 'json'`: that is how @elysiajs/openapi learns to document the
 * body's schema as application/json (it cannot see into the custom parser here). Elysia's JSON parser then
 * runs after this one, so it only ever sees bodiless requests: it leaves an optional body unset and fails
 * a required one, which the error mapping (errors.ts) answers with 422 as validation would.
 */
export const jsonBodies = ({ bodyLimitBytes }: { bodyLimitBytes: number }) =>
  new Elysia({ name: "accounts.json-bodies" }).onParse({ as: "global" }, async ({ request }, contentType) => {
    if (request.body === null) return;
    if (!isJson(contentType)) throw new HttpProblem(415, "Request body must be application/json");
    const text = await readBodyWithin(request, bodyLimitBytes);
    try {
      return JSON.parse(text);
    } catch {
      throw badRequest("Request body is not valid JSON");
    }
  });
