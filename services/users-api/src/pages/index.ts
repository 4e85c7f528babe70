import { Elysia, t } from "elysia";
import { confirmEmailChangePage, resetPasswordPage, revertEmailChangePage, verifyEmailPage } from "./html.ts";

// Only our own script, style and API: no inline code, no third-party assets, no framing, no forms posted elsewhere.
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
  "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const headers = (contentType: string) => ({
  "content-type": contentType,
  "content-security-policy": CONTENT_SECURITY_POLICY,
  // The pages' address holds a token (in the fragment) until the script removes it: never send it on as a Referer.
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "cache-control": "no-store",
});

const [script, style] = await Promise.all([
  Bun.file(new URL("app.js", import.meta.url)).text(),
  Bun.file(new URL("app.css", import.meta.url)).text(),
]);

const page = (html: string) => () => new Response(html, { headers: headers("text/html; charset=utf-8") });
const asset = (body: string, contentType: string) => () => new Response(body, { headers: headers(contentType) });

// Links mailed before the token moved to the fragment carry it in the query; the page reads and removes it from either.
const legacyTokenQuery = t.Object({
  token: t.Optional(
    t.String({
      deprecated: true,
      description: "Only in links mailed before the token moved to the fragment (#token=), which no request carries",
    }),
  ),
});

const htmlDoc = (summary: string) => ({
  summary,
  description:
    "The link in the email is this page's address with the token in its fragment (`#token=…`): the browser never " +
    "sends a fragment, so the token reaches no server or access log; the page's script reads it and removes it from " +
    "the address bar before anything else.",
  responses: {
    200: { description: "An HTML page", content: { "text/html": { schema: { type: "string" as const } } } },
  },
});

/** The pages the links in emails open, so they work without a front end of the team's own (see PUBLIC_URL). */
export const pages = new Elysia({ name: "pages", detail: { tags: ["pages"] } })
  .get("/verify-email", page(verifyEmailPage), {
    query: legacyTokenQuery,
    detail: htmlDoc("The page a verification link opens: a button that confirms the address (POST /email/verify)"),
  })
  .get("/reset-password", page(resetPasswordPage), {
    query: legacyTokenQuery,
    detail: htmlDoc("The page a reset link opens: a form that sets the new password (POST /password/reset)"),
  })
  .get("/email-change/confirm", page(confirmEmailChangePage), {
    detail: htmlDoc(
      "The page an email change's confirmation link opens: a button that moves the account (POST /user/email/confirm)",
    ),
  })
  .get("/email-change/revert", page(revertEmailChangePage), {
    detail: htmlDoc(
      "The page an email change notice's undo link opens: a button that gives the account its old address back (POST /user/email/revert)",
    ),
  })
  .get("/pages/app.js", asset(script, "text/javascript; charset=utf-8"), {
    detail: { summary: "The pages' script", hide: true },
  })
  .get("/pages/app.css", asset(style, "text/css; charset=utf-8"), {
    detail: { summary: "The pages' style sheet", hide: true },
  });
