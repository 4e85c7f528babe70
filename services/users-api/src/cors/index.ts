import { cors as corsPlugin } from "@elysiajs/cors";
import { Elysia } from "elysia";

/** CORS_ORIGINS as a list: comma-separated, blanks around the commas allowed. */
export const corsOrigins = (value: string) =>
  value
    .split(",")
    .map((origin) => origin.trim())
    .filter(Boolean);

/**
 * Lets the pages of `origins` call the API from a browser (@elysiajs/cors, Elysia's own plugin, answers preflights
 * and sets the response headers). Only those origins get `Access-Control-Allow-Origin`; any other gets no CORS
 * header, so its page cannot read our answers. Credentials are allowed only for the listed origins: the plugin's
 * `credentials` option would send the header to everyone, so it is set here instead.
 */
export const cors = (origins: string[]) => {
  const listed = new Set(origins);
  return new Elysia({ name: "cors" })
    .onRequest(({ request, set }) => {
      if (listed.has(request.headers.get("origin") ?? "")) set.headers["access-control-allow-credentials"] = "true";
    })
    .use(
      corsPlugin({
        origin: origins,
        credentials: false,
        methods: ["GET", "POST", "PUT", "DELETE"],
        allowedHeaders: ["authorization", "content-type", "x-request-id"],
        exposeHeaders: ["retry-after", "x-request-id"],
        maxAge: 600,
      }),
    );
};
