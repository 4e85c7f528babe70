import { AuditEventPage } from "../src/audit/schemas.ts";
import { DeviceTokenGrant } from "../src/throttling/device-token.ts";
// users-api through app.handle, with the real auth-api (in this process, on a free port) and a real
// database: the seed's scenarios and the flaws it had.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SignJWT, importJWK } from "jose";
import type { Connection } from "mongoose";
import { problemResponses } from "@accounts/shared";
import { t, type TSchema } from "elysia";
import { EmailChangeRequest, EmailChangeTokenRequest } from "../src/email-change/schemas.ts";
import { MailAccepted, VerifyEmailRequest } from "../src/email-verification/schemas.ts";
import {
  MfaChallenge,
  MfaLogInRequest,
  MfaProof,
  RecoveryCodes,
  TotpConfirmation,
  TotpEnrolment,
  TotpEnrolmentRequest,
} from "../src/mfa/schemas.ts";
import { PasswordChange } from "../src/password/schemas.ts";
import { ForgotPasswordRequest, ResetPasswordRequest } from "../src/password-reset/schemas.ts";
import { LogoutRequest, RefreshRequest, SessionGrant, SessionList } from "../src/sessions/schemas.ts";
import { DeleteUserRequest, LogInRequest, LogInResponse, SignUpRequest, UserResponse } from "../src/users/schemas.ts";
import { connectTestDatabase, dropTestDatabase } from "./database.ts";
import { captureLogger } from "@accounts/shared/testing";
import { seedPassword, seedUser } from "./seed.ts";
import { uniqueEmail } from "./addresses.ts";
import { buildUsersApp, internalToken, request, startAuthApi } from "./support.ts";
import { prepareDatabase } from "../src/prepare.ts";

let db: Connection;
let authApi: Awaited<ReturnType<typeof startAuthApi>>;
let users: ReturnType<typeof buildUsersApp>;
const responses: string[] = [];

async function call(...args: Parameters<typeof request>) {
  const response = await users.app.handle(request(...args));
  const text = await response.text();
  responses.push(text, JSON.stringify([...response.headers]));
  return { status: response.status, headers: response.headers, text, body: text ? JSON.parse(text) : undefined };
}

async function until(condition: () => boolean, timeoutMs = 2_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await Bun.sleep(10);
}

const signUp = (email: string, password = "correct horse battery") =>
  call("POST", "/signup", { body: { email, password } });
const logIn = (email: string, password = "correct horse battery") =>
  call("POST", "/login", { body: { email, password } });

/** An account of the calling test's own, signed up with the default password; `name` says whose. Its address. */
async function newAccount(name: string) {
  const email = uniqueEmail(name);
  expect((await signUp(email)).status).toBe(201);
  return email;
}

beforeAll(async () => {
  db = await connectTestDatabase("users_module");
  await db.collection("users").insertMany([
    await seedUser("Seed@Example.com "),
    // An address sign-up's format check would refuse today (no dot in the domain).
    await seedUser("Admin@LocalHost"),
  ]);
  await prepareDatabase(db, captureLogger("users-api").logger);
  authApi = await startAuthApi();
  // Every request here comes from one client (in-process, no socket): this suite's 27 sign-ups and 15 logins
  // go past the per-client limits, which throttling.test.ts covers.
  users = buildUsersApp(db, authApi.url, {
    env: { SIGNUPS_PER_CLIENT_PER_HOUR: "100", LOGINS_PER_CLIENT_PER_MINUTE: "100" },
  });
});
afterAll(async () => {
  await authApi.stop();
  await dropTestDatabase(db);
});

describe("POST /signup", () => {
  test("creates the user with a normalized address and answers without any secret", async () => {
    const email = uniqueEmail("ada");
    const { status, body, headers } = await signUp(
      `  ${email.replace("ada", "Ada").replace("example.com", "Example.COM")} `,
    );
    expect(status).toBe(201);
    expect(body).toEqual({
      user: {
        id: expect.any(String),
        email,
        createdAt: expect.any(String),
        emailVerified: false,
        mfa: { totp: false, recoveryCodesLeft: 0 },
      },
    });
    expect(headers.get("content-type")).toStartWith("application/json");
    const stored = await db.collection("users").findOne({ email });
    expect(stored?.password).toStartWith("$argon2id$");
  });

  test("refuses a second account for the same address, however it is spelled, with 409", async () => {
    const email = await newAccount("ada");
    const { status, body, headers } = await signUp(email.replace("ada", "ADA"));
    expect(status).toBe(409);
    expect(headers.get("content-type")).toBe("application/problem+json");
    expect(body).toMatchObject({ status: 409, title: "Conflict" });
  });

  test("names each invalid field with 422 and stores nothing", async () => {
    const { status, body } = await call("POST", "/signup", { body: { email: "not-an-address", password: "7 chars" } });
    expect(status).toBe(422);
    expect(body.errors.map((e: { field: string }) => e.field).sort()).toEqual(["email", "password"]);
    expect(await db.collection("users").countDocuments({ email: "not-an-address" })).toBe(0);
    expect((await signUp("long@example.com", "x".repeat(1025))).status).toBe(422);
    expect((await signUp("long@example.com", "x".repeat(1024))).status).toBe(201);
  });

  test("ten concurrent sign-ups of one address give exactly one 201 and nine 409", async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => signUp(i % 2 ? "race@example.com" : " Race@Example.com")),
    );
    const statuses = results.map(({ status }) => status).sort();
    expect(statuses).toEqual([201, ...Array(9).fill(409)]);
    expect(await db.collection("users").countDocuments({ email: "race@example.com" })).toBe(1);
  });

  test("malformed JSON and a wrong content type are 4xx problems", async () => {
    const malformed = await users.app.handle(
      new Request("http://users.test/signup", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{",
      }),
    );
    expect(malformed.status).toBe(400);
    const text = await users.app.handle(new Request("http://users.test/signup", { method: "POST", body: "email=a" }));
    expect(text.status).toBe(415);
  });
});

describe("POST /login", () => {
  test("gives a bearer token for the right password", async () => {
    const { status, body } = await logIn(` ${await newAccount("ada")}`);
    expect(status).toBe(200);
    expect(body).toEqual({
      token: expect.any(String),
      tokenType: "Bearer",
      expiresIn: 900,
      userId: expect.any(String),
      deviceToken: expect.stringMatching(/^[\w-]{43}$/),
      sessionId: expect.any(String),
      refreshToken: expect.any(String),
      refreshExpiresIn: 7 * 24 * 3600,
    });
  });

  test("answers a wrong password and an unknown address alike, with 401", async () => {
    const wrong = await logIn(await newAccount("ada"), "wrong password!");
    const unknown = await logIn("nobody@example.com", "wrong password!");
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(unknown.text).toBe(wrong.text);
    expect(unknown.headers.get("content-type")).toBe("application/problem+json");
  });

  test("a seed-era user logs in by the normalized address, and the bcrypt hash becomes argon2id", async () => {
    const { status, body } = await logIn(" SEED@example.com", seedPassword);
    expect(status).toBe(200);
    const stored = await db.collection("users").findOne({ email: "seed@example.com" });
    expect(stored?.password).toStartWith("$argon2id$");
    expect((await logIn("seed@example.com", seedPassword)).status).toBe(200);
    expect((await logIn("seed@example.com", "not the seed password")).status).toBe(401);

    const me = await call("GET", "/user", { token: body.token });
    // Seed documents have no createdAt: the ObjectId's time stands in.
    expect(me.body.user).toEqual({
      id: String(stored?._id),
      email: "seed@example.com",
      createdAt: stored?._id.getTimestamp().toISOString(),
      emailVerified: false,
      mfa: { totp: false, recoveryCodesLeft: 0 },
    });
  });
});

describe("GET /user", () => {
  test("answers the token's user", async () => {
    const email = await newAccount("ada");
    const { body: session } = await logIn(email);
    const { status, body } = await call("GET", "/user", { token: session.token });
    expect(status).toBe(200);
    expect(body).toEqual({
      user: {
        id: session.userId,
        email,
        createdAt: expect.any(String),
        emailVerified: false,
        mfa: { totp: false, recoveryCodesLeft: 0 },
      },
    });
  });

  test("answers a seed-era user whose address fails today's email format", async () => {
    const { status, body: session } = await logIn("admin@localhost", seedPassword);
    expect(status).toBe(200);
    const me = await call("GET", "/user", { token: session.token });
    expect(me.status).toBe(200);
    expect(me.body.user).toMatchObject({ id: session.userId, email: "admin@localhost" });
  });

  test("refuses a missing, malformed, tampered, unsigned or foreign token with 401", async () => {
    const { body: ada } = await logIn(await newAccount("ada"));
    const { body: grace } = await logIn(await newAccount("grace"));
    const [header, payload, signature] = ada.token.split(".");
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const kid = JSON.parse(Buffer.from(header, "base64url").toString()).kid;
    const realKey = await importJWK(authApi.privateJwk, "EdDSA");
    const otherKey = await importJWK(
      (await (await import("@accounts/auth-api/keys/generate")).generateSigningKey()).privateJwk,
      "EdDSA",
    );
    const sign = (key: typeof realKey, claimsOverride: object) =>
      new SignJWT({ ...claims, ...claimsOverride }).setProtectedHeader({ alg: "EdDSA", kid }).sign(key);

    const refused = {
      missing: undefined,
      malformed: "not-a-jwt",
      // Another user's id under Ada's signature.
      tampered: `${header}.${encode({ ...claims, sub: grace.userId })}.${signature}`,
      algNone: `${encode({ alg: "none", typ: "JWT" })}.${encode(claims)}.`,
      // Right kid, wrong key: a forger who knows the kid.
      forged: await sign(otherKey, {}),
      otherAudience: await sign(realKey, { aud: "someone-else" }),
      otherIssuer: await sign(realKey, { iss: "someone-else" }),
      expired: await sign(realKey, { exp: Math.floor(Date.now() / 1000) - 60 }),
      // Signed with auth-api's own key, but lacking a claim users-api relies on: never expiring, say.
      noExpiry: await sign(realKey, { exp: undefined }),
      noIssuedAt: await sign(realKey, { iat: undefined }),
      noSubject: await sign(realKey, { sub: undefined }),
      // As auth-api signed them before sessions: no `sid`. Their users log in again.
      beforeSessions: await sign(realKey, { sid: undefined }),
      endedSession: await sign(realKey, { sid: crypto.randomUUID() }),
      internalToken,
    };
    for (const [name, token] of Object.entries(refused)) {
      const { status, headers } = await call("GET", "/user", { token });
      expect({ name, status }).toEqual({ name, status: 401 });
      expect(headers.get("content-type")).toBe("application/problem+json");
    }
    // A properly signed token still works, so the refusals above are about the tokens.
    expect((await call("GET", "/user", { token: await sign(realKey, {}) })).status).toBe(200);
  });
});

describe("DELETE /user", () => {
  test("without a token: 401, and nobody is deleted", async () => {
    const email = await newAccount("ada");
    const { status } = await call("DELETE", "/user", { body: { email } });
    expect(status).toBe(401);
    expect(await db.collection("users").countDocuments({ email })).toBe(1);
  });

  test("without the password, or with a wrong one: 403, and nothing is deleted", async () => {
    const email = await newAccount("ada");
    const { body: session } = await logIn(email);
    expect((await call("DELETE", "/user", { token: session.token })).status).toBe(403);
    expect((await call("DELETE", "/user", { token: session.token, body: { password: "wrong password" } })).status).toBe(
      403,
    );
    expect(await db.collection("users").countDocuments({ email })).toBe(1);
    expect((await call("GET", "/user", { token: session.token })).status).toBe(200);
  });

  test("deletes the token's user; then the token is refused, login fails, and the address is free again", async () => {
    const email = await newAccount("leaving");
    const { body: session } = await logIn(email);
    expect(
      (await call("DELETE", "/user", { token: session.token, body: { password: "correct horse battery" } })).status,
    ).toBe(204);
    expect((await call("GET", "/user", { token: session.token })).status).toBe(401);
    expect(
      (await call("DELETE", "/user", { token: session.token, body: { password: "correct horse battery" } })).status,
    ).toBe(401);
    expect((await logIn(email)).status).toBe(401);
    expect((await signUp(email)).status).toBe(201);
  });
});

describe("around the routes", () => {
  test("the request id reaches auth-api and comes back", async () => {
    const { headers } = await call("POST", "/login", {
      body: { email: await newAccount("traced"), password: "correct horse battery" },
      headers: { "x-request-id": "trace-login-42" },
    });
    expect(headers.get("x-request-id")).toBe("trace-login-42");
    // The request's log line is written after the response is sent (its audit event's line, before).
    await until(() => users.lines.some((line) => line.requestId === "trace-login-42" && line.route === "/login"));
    expect(authApi.lines).toContainEqual(
      expect.objectContaining({ requestId: "trace-login-42", route: "/token", status: 200 }),
    );
    expect(users.lines).toContainEqual(
      expect.objectContaining({ requestId: "trace-login-42", route: "/login", status: 200, method: "POST" }),
    );
  });

  test("ready while MongoDB and auth-api are up", async () => {
    const { status, body } = await call("GET", "/ready");
    expect(status).toBe(200);
    expect(body.checks).toEqual({ mongodb: "up", authApi: "up" });
  });

  test("the OpenAPI document gives every route its exact request, success and problem schemas, and the bearer scheme", async () => {
    const { body } = await call("GET", "/swagger/json");
    expect(Object.keys(body.paths)).toEqual(
      expect.arrayContaining([
        "/signup",
        "/login",
        "/refresh",
        "/logout",
        "/sessions",
        "/sessions/{id}",
        "/user",
        "/user/password",
        "/email/verify",
        "/email/verify/resend",
        "/password/forgot",
        "/password/reset",
        "/verify-email",
        "/reset-password",
        "/user/email",
        "/user/email/confirm",
        "/user/email/revert",
        "/user/security-events",
        "/email-change/confirm",
        "/email-change/revert",
        "/health",
        "/ready",
        "/metrics",
      ]),
    );
    expect(Object.keys(body.paths["/user"])).toEqual(expect.arrayContaining(["get", "delete"]));

    type Operation = {
      requestBody?: { content: unknown };
      responses: Record<string, { content?: unknown }>;
      security?: unknown;
    };
    // The document carries the route schemas as JSON: compare with the very `t` schemas the routes use.
    // As the document writes a schema: OpenAPI 3.1 spells "a string or null" as a type list, not TypeBox's anyOf.
    const asJson = (schema: TSchema) =>
      JSON.parse(JSON.stringify(schema), (_, value) =>
        Array.isArray(value?.anyOf) && value.anyOf.length === 2 && value.anyOf[1].type === "null"
          ? { ...value, anyOf: undefined, type: [value.anyOf[0].type, "null"] }
          : value,
      );
    const routes: {
      path: string;
      method: string;
      body?: TSchema;
      success: [string, TSchema | undefined];
      problems: number[];
      bearer: boolean;
    }[] = [
      {
        path: "/user/email",
        method: "post",
        body: EmailChangeRequest,
        success: ["202", MailAccepted],
        problems: [400, 401, 403, 409, 413, 415, 422, 429, 503],
        bearer: true,
      },
      {
        path: "/user/email/confirm",
        method: "post",
        body: EmailChangeTokenRequest,
        success: ["200", UserResponse],
        problems: [400, 409, 413, 415, 422, 429, 503],
        bearer: false,
      },
      {
        path: "/user/email/revert",
        method: "post",
        body: EmailChangeTokenRequest,
        success: ["200", UserResponse],
        problems: [400, 409, 413, 415, 422, 429, 503],
        bearer: false,
      },
      {
        path: "/signup",
        method: "post",
        body: SignUpRequest,
        success: ["201", UserResponse],
        problems: [400, 409, 413, 415, 422, 429, 503],
        bearer: false,
      },
      {
        path: "/login",
        method: "post",
        body: LogInRequest,
        success: ["200", t.Union([LogInResponse, MfaChallenge])],
        problems: [400, 401, 403, 413, 415, 422, 429, 503],
        bearer: false,
      },
      {
        path: "/login/mfa",
        method: "post",
        body: MfaLogInRequest,
        success: ["200", LogInResponse],
        problems: [400, 401, 413, 415, 422, 429, 503],
        bearer: false,
      },
      {
        path: "/mfa/totp",
        method: "post",
        body: TotpEnrolmentRequest,
        success: ["201", TotpEnrolment],
        problems: [400, 401, 403, 409, 413, 415, 422, 429, 503],
        bearer: true,
      },
      {
        path: "/mfa/totp",
        method: "delete",
        body: MfaProof,
        success: ["204", undefined],
        problems: [400, 401, 403, 409, 413, 415, 422, 429, 503],
        bearer: true,
      },
      {
        path: "/mfa/totp/confirm",
        method: "post",
        body: TotpConfirmation,
        success: ["200", RecoveryCodes],
        problems: [400, 401, 409, 413, 415, 422, 429, 503],
        bearer: true,
      },
      {
        path: "/mfa/recovery-codes",
        method: "post",
        body: MfaProof,
        success: ["200", RecoveryCodes],
        problems: [400, 401, 403, 409, 413, 415, 422, 429, 503],
        bearer: true,
      },
      {
        path: "/email/verify",
        method: "post",
        body: VerifyEmailRequest,
        success: ["200", UserResponse],
        problems: [400, 413, 415, 422, 503],
        bearer: false,
      },
      {
        path: "/email/verify/resend",
        method: "post",
        success: ["202", MailAccepted],
        problems: [401, 409, 429, 503],
        bearer: true,
      },
      {
        path: "/password/forgot",
        method: "post",
        body: ForgotPasswordRequest,
        success: ["202", MailAccepted],
        problems: [400, 413, 415, 422, 429, 503],
        bearer: false,
      },
      {
        path: "/password/reset",
        method: "post",
        body: ResetPasswordRequest,
        success: ["200", DeviceTokenGrant],
        problems: [400, 413, 415, 422, 503],
        bearer: false,
      },
      { path: "/user", method: "get", success: ["200", UserResponse], problems: [401, 503], bearer: true },
      {
        path: "/user",
        method: "delete",
        body: DeleteUserRequest,
        success: ["204", undefined],
        problems: [400, 401, 403, 413, 415, 422, 429, 503],
        bearer: true,
      },
      {
        path: "/refresh",
        method: "post",
        body: RefreshRequest,
        success: ["200", SessionGrant],
        problems: [400, 401, 413, 415, 422, 429, 503],
        bearer: false,
      },
      {
        path: "/logout",
        method: "post",
        body: LogoutRequest,
        success: ["204", undefined],
        problems: [400, 401, 413, 415, 422, 503],
        bearer: true,
      },
      { path: "/sessions", method: "get", success: ["200", SessionList], problems: [401, 503], bearer: true },
      {
        path: "/user/security-events",
        method: "get",
        success: ["200", AuditEventPage],
        problems: [401, 422, 503],
        bearer: true,
      },
      {
        path: "/sessions/{id}",
        method: "delete",
        success: ["204", undefined],
        problems: [401, 404, 422, 503],
        bearer: true,
      },
      {
        path: "/user/password",
        method: "put",
        body: PasswordChange,
        success: ["200", DeviceTokenGrant],
        problems: [400, 401, 403, 409, 413, 415, 422, 429, 503],
        bearer: true,
      },
    ];
    for (const { path, method, body: requestSchema, success, problems, bearer } of routes) {
      const operation = body.paths[path][method] as Operation;
      const where = `${method} ${path}`;
      expect({ where, request: operation.requestBody?.content }).toEqual({
        where,
        // Unknown fields are allowed (Elysia drops them), so the document says so of every object in a request body.
        request: requestSchema && {
          "application/json": {
            schema: JSON.parse(JSON.stringify(asJson(requestSchema)), (_, value) =>
              value?.type === "object" ? { ...value, additionalProperties: true } : value,
            ),
          },
        },
      });
      const [status, responseSchema] = success;
      expect(Object.keys(operation.responses).sort()).toEqual([status, ...problems.map(String)].sort());
      expect({ where, status, response: operation.responses[status]!.content }).toEqual({
        where,
        status,
        // A 204 has no content at all.
        response: responseSchema ? { "application/json": { schema: asJson(responseSchema) } } : undefined,
      });
      const problem = asJson(problemResponses(401)[401]);
      for (const status of problems)
        expect({ where, status, response: operation.responses[status]!.content }).toEqual({
          where,
          status,
          response: { "application/problem+json": { schema: problem } },
        });
      expect({ where, security: operation.security }).toEqual({
        where,
        security: bearer ? [{ bearer: [] }] : undefined,
      });
    }
    expect(body.components.securitySchemes).toEqual({
      bearer: {
        type: "http",
        scheme: "bearer",
        bearerFormat: "JWT",
        description: "The access token from POST /login or POST /refresh",
      },
    });
    for (const page of ["/verify-email", "/reset-password"])
      expect(Object.keys(body.paths[page].get.responses["200"].content)).toEqual(["text/html"]);
  });

  test("no response, header or log line carried a password, hash or token", async () => {
    // A login of its own, so there are tokens to look for when this test runs alone or first; run after the others,
    // it looks through their answers and log lines too.
    expect((await logIn(await newAccount("careful"))).status).toBe(200);
    const stored = await db.collection("users").find({}).toArray();
    // Tokens as login answered them; the OpenAPI document's links name the fields (`$response.body#/…`), not values.
    const tokens = responses.flatMap((text) =>
      [...text.matchAll(/"(?:token|refreshToken)":"([^"$][^"]*)"/g)].map((m) => m[1]!),
    );
    expect(tokens.length).toBeGreaterThan(0);
    const secrets = [
      "correct horse battery",
      seedPassword,
      "wrong password!",
      internalToken,
      ...stored.map((user) => user.password as string),
      ...tokens,
    ];
    const everything = {
      responses: responses.filter((text) => !/"token":"/.test(text)),
      logs: [...users.lines, ...authApi.lines],
    };
    for (const secret of secrets) expect(JSON.stringify(everything)).not.toContain(secret);
    expect(JSON.stringify(everything)).not.toContain("$argon2id$");
    expect(JSON.stringify(everything)).not.toContain("$2a$");
  });
});
