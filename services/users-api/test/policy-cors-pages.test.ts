// The password policy at sign-up (reset's is in email.test.ts), CORS, and the pages' headers, through app.handle.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Connection } from "mongoose";
import { commonPasswords } from "../src/password-policy/common-passwords.ts";
import { createPasswordPolicy, MIN_LOCAL_PART_LENGTH } from "../src/password-policy/service.ts";
import { connectTestDatabase, dropTestDatabase } from "./database.ts";
import { buildUsersApp, request, startAuthApi } from "./support.ts";
import { captureLogger } from "@accounts/shared/testing";
import { prepareDatabase } from "../src/prepare.ts";

let db: Connection;
let authApi: Awaited<ReturnType<typeof startAuthApi>>;
let users: ReturnType<typeof buildUsersApp>;
const spa = "https://app.example.com";

beforeAll(async () => {
  db = await connectTestDatabase("users_policy");
  await prepareDatabase(db, captureLogger("users-api").logger);
  authApi = await startAuthApi();
  users = buildUsersApp(db, authApi.url, {
    env: { CORS_ORIGINS: `${spa}, http://localhost:5173`, SIGNUPS_PER_CLIENT_PER_HOUR: "1000" },
  });
});
afterAll(async () => {
  await authApi.stop();
  await dropTestDatabase(db);
});

describe("password policy", () => {
  test("the list: over 100,000 entries of at least 8 characters, lower-cased", () => {
    const list = commonPasswords();
    expect(list.size).toBeGreaterThan(100_000);
    expect([...list].every((entry) => entry.length >= 8 && entry === entry.toLowerCase())).toBe(true);
    expect(list.has("password1")).toBe(true);
  });

  test("sign-up refuses common and address-derived passwords with 422 naming password, never echoing it", async () => {
    // Other tests sign up too: what this one asserts is that its refused sign-ups add no account.
    const accountsBefore = await db.collection("users").countDocuments({});
    for (const [email, password] of [
      ["ada@example.com", "Password1"],
      ["ada@example.com", "qwertyuiop"],
      ["lovelace@example.com", "I am Lovelace 1815"],
    ] as const) {
      const response = await users.app.handle(request("POST", "/signup", { body: { email, password } }));
      const text = await response.text();
      expect({ password, status: response.status }).toEqual({ password, status: 422 });
      expect(JSON.parse(text).errors).toEqual([
        { field: "password", pointer: "#/password", message: expect.any(String) },
      ]);
      expect(text).not.toContain(password);
    }
    expect(await db.collection("users").countDocuments({})).toBe(accountsBefore);
  });

  test(`a local part shorter than ${MIN_LOCAL_PART_LENGTH} characters is not looked for; login takes listed passwords`, async () => {
    const created = await users.app.handle(
      request("POST", "/signup", { body: { email: "al@example.com", password: "al's own passphrase" } }),
    );
    expect(created.status).toBe(201);
    // An account from before the policy, with a password on the list: still logs in.
    const hash = await Bun.password.hash("password1", { algorithm: "argon2id", memoryCost: 1024, timeCost: 1 });
    await db.collection("users").insertOne({ email: "old@example.com", password: hash });
    const login = await users.app.handle(
      request("POST", "/login", { body: { email: "old@example.com", password: "password1" } }),
    );
    expect(login.status).toBe(200);
  });

  test("exported for the password change: the same check, the field named as given", () => {
    const policy = createPasswordPolicy(commonPasswords());
    expect(() => policy.check("a fine passphrase", "ada@example.com", "newPassword")).not.toThrow();
    for (const password of ["PASSWORD1", "ada-lovelace-1"]) {
      try {
        policy.check(password, "Lovelace@example.com".replace("Lovelace", "ada"), "newPassword");
        throw new Error("not refused");
      } catch (error) {
        expect((error as { toProblem(): unknown }).toProblem()).toEqual({
          type: "about:blank",
          title: "Unprocessable Content",
          status: 422,
          detail: "Request body is invalid",
          errors: [{ field: "newPassword", pointer: "#/newPassword", message: expect.any(String) }],
        });
      }
    }
  });
});

describe("CORS", () => {
  const preflight = (origin: string) =>
    users.app.handle(
      new Request("http://users.test/signup", {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type",
        },
      }),
    );

  test("a listed origin's preflight is allowed, with credentials", async () => {
    const response = await preflight(spa);
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe(spa);
    expect(response.headers.get("access-control-allow-credentials")).toBe("true");
    expect(response.headers.get("access-control-allow-methods")).toBe("GET, POST, PUT, DELETE");
    expect(response.headers.get("access-control-allow-headers")).toBe("authorization, content-type, x-request-id");
    expect(response.headers.get("vary")).toContain("Origin");

    const actual = await users.app.handle(
      new Request("http://users.test/health", { headers: { origin: "http://localhost:5173" } }),
    );
    expect(actual.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
    expect(actual.headers.get("access-control-allow-credentials")).toBe("true");
    expect(actual.headers.get("access-control-expose-headers")).toBe("retry-after, x-request-id");
  });

  test("an unlisted origin gets no CORS header at all, so its pages cannot read the answers", async () => {
    for (const origin of ["https://evil.example", "https://app.example.com.evil.example", "null"]) {
      for (const response of [
        await preflight(origin),
        await users.app.handle(new Request("http://users.test/health", { headers: { origin } })),
      ]) {
        expect({ origin, allowOrigin: response.headers.get("access-control-allow-origin") }).toEqual({
          origin,
          allowOrigin: null,
        });
        expect(response.headers.get("access-control-allow-credentials")).toBeNull();
      }
    }
  });

  test("with CORS_ORIGINS unset, no origin is allowed", async () => {
    const closed = buildUsersApp(db, authApi.url);
    const response = await closed.app.handle(
      new Request("http://users.test/signup", {
        method: "OPTIONS",
        headers: { origin: spa, "access-control-request-method": "POST" },
      }),
    );
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    expect(response.headers.get("access-control-allow-credentials")).toBeNull();
  });
});

describe("unknown paths", () => {
  // The CORS plugin's preflight route (OPTIONS on every path) must not make every path look served.
  test("a path nothing serves is 404 problem+json, for any method, without Allow", async () => {
    for (const method of ["GET", "POST", "PUT", "DELETE", "PATCH"])
      for (const path of ["/nonexistent", "/user/nonexistent", "/"]) {
        const response = await users.app.handle(new Request(`http://users.test${path}`, { method }));
        expect({ method, path, status: response.status, allow: response.headers.get("allow") }).toEqual({
          method,
          path,
          status: 404,
          allow: null,
        });
        expect(response.headers.get("content-type")).toBe("application/problem+json");
        expect(await response.json()).toEqual({
          type: "about:blank",
          title: "Not Found",
          status: 404,
          detail: "No such route",
        });
      }
  });

  test("a served path asked with another method is 405, Allow naming what is served (the preflight's OPTIONS too)", async () => {
    for (const [method, path, allow] of [
      ["POST", "/user", "DELETE, GET, HEAD, OPTIONS"],
      ["GET", "/login", "OPTIONS, POST"],
      ["PUT", "/sessions/some-id", "DELETE, OPTIONS"],
      ["POST", "/verify-email", "GET, HEAD, OPTIONS"],
    ] as const) {
      const response = await users.app.handle(new Request(`http://users.test${path}`, { method }));
      expect({ method, path, status: response.status, allow: response.headers.get("allow") }).toEqual({
        method,
        path,
        status: 405,
        allow,
      });
      expect(response.headers.get("content-type")).toBe("application/problem+json");
    }
  });
});

describe("pages", () => {
  test("the link pages are HTML with a strict CSP, no inline script or style and no third-party asset", async () => {
    for (const path of ["/verify-email?token=abc", "/reset-password?token=abc"]) {
      const response = await users.app.handle(new Request(`http://users.test${path}`));
      const html = await response.text();
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(response.headers.get("content-security-policy")).toBe(
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
      );
      expect(response.headers.get("referrer-policy")).toBe("no-referrer");
      expect(response.headers.get("cache-control")).toBe("no-store");
      expect(html).toStartWith("<!doctype html>");
      expect(html).toContain('<html lang="en">');
      // The only script and style sheet are ours, by path; nothing is inline and the token is not in the page.
      expect([...html.matchAll(/<script[^>]*>/g)].map(([tag]) => tag)).toEqual(['<script src="/pages/app.js" defer>']);
      expect(html).not.toMatch(/<style|style=|\son\w+=|https?:\/\/|abc/);
    }
    const script = await users.app.handle(new Request("http://users.test/pages/app.js"));
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await script.text()).toContain('post("/password/reset"');
    const style = await users.app.handle(new Request("http://users.test/pages/app.css"));
    expect(style.headers.get("content-type")).toBe("text/css; charset=utf-8");
  });

  test("the document says the token is in the fragment; the query's token is only the old links' and deprecated", async () => {
    const document = (await (await users.app.handle(new Request("http://users.test/swagger/json"))).json()) as {
      paths: Record<string, { get: { description: string; parameters: object[] } }>;
    };
    for (const path of ["/verify-email", "/reset-password"]) {
      const { description, parameters } = document.paths[path]!.get;
      expect(description).toContain("`#token=…`");
      expect(parameters).toEqual([
        {
          in: "query",
          name: "token",
          required: false,
          schema: {
            type: "string",
            deprecated: true,
            description:
              "Only in links mailed before the token moved to the fragment (#token=), which no request carries",
          },
        },
      ]);
    }
  });
});
