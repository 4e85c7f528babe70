import { describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { INTERNAL_CREDENTIAL_PROBLEM, TOKEN_VERIFY_OPTIONS } from "@accounts/shared";
import {
  createLocalJWKSet,
  decodeProtectedHeader,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from "jose";
import { generateSigningKey } from "../src/keys/generate.ts";
import { buildApp, post } from "./helpers.ts";

const PASSWORD = "correct horse battery";

async function issue(
  app: Awaited<ReturnType<typeof buildApp>>["app"],
  userId: string,
  password: string,
  hashedPassword?: string,
) {
  const response = await app.handle(post("/token", { userId, sessionId: "session-1", password, hashedPassword }));
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/**
 * The token's claims as its audience sees them: verified with the contract's options against the keys auth-api
 * publishes (what users-api does), or undefined when refused.
 */
async function verify(app: Awaited<ReturnType<typeof buildApp>>["app"], token: string) {
  const response = await app.handle(new Request("http://localhost/.well-known/jwks.json"));
  const jwks = (await response.json()) as JSONWebKeySet;
  return jwtVerify(token, createLocalJWKSet(jwks), TOKEN_VERIFY_OPTIONS).then(
    ({ payload }): JWTPayload => payload,
    () => undefined,
  );
}

const signWith = async (
  privateJwk: JWK,
  claims: { iss?: string; aud?: string; sub?: string; iat?: number; exp?: number },
) => {
  const key = await importJWK(privateJwk, "EdDSA");
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sid: "session-1" })
    .setProtectedHeader({ alg: "EdDSA", kid: privateJwk.kid! })
    .setSubject(claims.sub ?? "user-1")
    .setIssuer(claims.iss ?? "auth-api")
    .setAudience(claims.aud ?? "users-api")
    .setIssuedAt(claims.iat ?? now)
    .setExpirationTime(claims.exp ?? now + 600)
    .setJti(crypto.randomUUID())
    .sign(key);
};

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("POST /token", () => {
  test("a right password gets a Bearer token that verifies against the JWKS, with the contract's claims", async () => {
    const { app, keys, config } = await buildApp();
    const hashed = await Bun.password.hash(PASSWORD, { algorithm: "argon2id", memoryCost: 1024, timeCost: 1 });
    const { status, body } = await issue(app, "user-42", PASSWORD, hashed);
    expect(status).toBe(200);
    expect(body).toMatchObject({ tokenType: "Bearer", expiresIn: 900 });
    expect(body).not.toHaveProperty("rehashed");
    const token = body.token as string;
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: "EdDSA", kid: keys.kid });

    const claims = await verify(app, token);
    expect(Object.keys(claims ?? {}).sort()).toEqual(["amr", "aud", "exp", "iat", "iss", "jti", "sid", "sub"]);
    expect(claims).toMatchObject({ sub: "user-42", sid: "session-1", iss: "auth-api", aud: "users-api" });
    expect(claims?.exp).toBe((claims?.iat as number) + config.JWT_TTL_SECONDS);
    expect(claims?.jti).toBeString();
  });

  test("each token has its own jti", async () => {
    const { app } = await buildApp();
    const hashed = await Bun.password.hash(PASSWORD, { algorithm: "argon2id", memoryCost: 1024, timeCost: 1 });
    const first = await issue(app, "u", PASSWORD, hashed);
    const second = await issue(app, "u", PASSWORD, hashed);
    const jti = async (token: unknown) => (await verify(app, token as string))?.jti;
    expect(await jti(first.body.token)).toBeString();
    expect(await jti(first.body.token)).not.toBe(await jti(second.body.token));
  });

  test("a wrong password and an unknown user both get the same 401", async () => {
    const { app } = await buildApp();
    const hashed = await Bun.password.hash(PASSWORD, { algorithm: "argon2id", memoryCost: 1024, timeCost: 1 });
    const wrong = await issue(app, "user-42", "wrong horse battery", hashed);
    const unknown = await issue(app, "user-42", PASSWORD);
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
    expect(JSON.stringify(wrong.body)).not.toContain('token"');
  });

  test("a malformed stored hash is a 401, not a 500", async () => {
    const { app } = await buildApp();
    expect((await issue(app, "u", PASSWORD, "not-a-hash")).status).toBe(401);
  });

  test("a seed-era bcrypt hash logs in and comes back as argon2id", async () => {
    const { app } = await buildApp();
    for (const prefix of ["$2a$", "$2b$", "$2y$"]) {
      const bcrypt = (await Bun.password.hash(PASSWORD, { algorithm: "bcrypt", cost: 4 })).replace(/^\$2b\$/, prefix);
      const { status, body } = await issue(app, "seed-user", PASSWORD, bcrypt);
      expect(status).toBe(200);
      expect(body.rehashed as string).toStartWith("$argon2id$v=19$m=1024,t=1,");
      expect(await Bun.password.verify(PASSWORD, body.rehashed as string)).toBeTrue();
      expect((await issue(app, "seed-user", "wrong horse battery", bcrypt)).status).toBe(401);
    }
  });

  test("a seed-era bcrypt hash of a password over 72 bytes still matches, as the seed cut it at 72", async () => {
    const { app } = await buildApp();
    const long = `${"é".repeat(40)}-and-then-some`;
    // What the seed's bcrypt stored: a hash of the password's first 72 bytes.
    const seedHash = await Bun.password.hash(Buffer.from(long).subarray(0, 72), { algorithm: "bcrypt", cost: 4 });
    expect((await issue(app, "seed-user", long, seedHash)).status).toBe(200);
    expect((await issue(app, "seed-user", "é".repeat(35), seedHash)).status).toBe(401);
  });

  test("an argon2id hash weaker than configured is upgraded; an equal one is not", async () => {
    const { app } = await buildApp({ HASH_MEMORY_KIB: 2048, HASH_TIME_COST: 2 });
    const weakMemory = await Bun.password.hash(PASSWORD, { algorithm: "argon2id", memoryCost: 1024, timeCost: 2 });
    const weakTime = await Bun.password.hash(PASSWORD, { algorithm: "argon2id", memoryCost: 2048, timeCost: 1 });
    const current = await Bun.password.hash(PASSWORD, { algorithm: "argon2id", memoryCost: 2048, timeCost: 2 });
    const argon2i = await Bun.password.hash(PASSWORD, { algorithm: "argon2i", memoryCost: 2048, timeCost: 2 });
    for (const weak of [weakMemory, weakTime, argon2i]) {
      expect(
        ((await issue(app, "u", PASSWORD, weak)).body.rehashed as string).startsWith("$argon2id$v=19$m=2048,t=2,"),
      ).toBeTrue();
    }
    expect((await issue(app, "u", PASSWORD, current)).body).not.toHaveProperty("rehashed");
  });

  test("refuses a valid request without the right internal credential", async () => {
    const { app } = await buildApp();
    const hashed = await Bun.password.hash(PASSWORD, { algorithm: "argon2id", memoryCost: 1024, timeCost: 1 });
    const tokenRequest = { userId: "user-42", sessionId: "session-1", password: PASSWORD, hashedPassword: hashed };
    for (const credential of [null, "wrong-token-wrong-token-wrong-token"]) {
      const refused = await app.handle(post("/token", tokenRequest, credential));
      expect({ credential, status: refused.status }).toEqual({ credential, status: 401 });
      expect(((await refused.json()) as { type: string }).type).toBe(INTERNAL_CREDENTIAL_PROBLEM);
    }
    // The very same request with the credential succeeds, so the 401s above are the credential's doing.
    expect((await app.handle(post("/token", tokenRequest))).status).toBe(200);
  });

  test("POST /verify-token is gone: tokens are verified by their audience, against the JWKS", async () => {
    const { app } = await buildApp();
    expect((await app.handle(post("/verify-token", { token: "a.b.c" }))).status).toBe(404);
  });
});

describe("session tokens", () => {
  test("/token signs the sessionId as the sid claim, and refuses a request without one", async () => {
    const { app } = await buildApp();
    const hashed = await Bun.password.hash(PASSWORD, { algorithm: "argon2id", memoryCost: 1024, timeCost: 1 });
    const response = await app.handle(
      post("/token", { userId: "u-1", password: PASSWORD, hashedPassword: hashed, sessionId: "s-1" }),
    );
    // A password proves `pwd` (RFC 8176).
    expect(await verify(app, ((await response.json()) as { token: string }).token)).toMatchObject({
      sub: "u-1",
      sid: "s-1",
      amr: ["pwd"],
    });
    const withoutSession = await app.handle(
      post("/token", { userId: "u-1", password: PASSWORD, hashedPassword: hashed }),
    );
    expect(withoutSession.status).toBe(422);
    expect(((await withoutSession.json()) as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual([
      "sessionId",
    ]);
  });

  test("/token/refresh signs a token for the session without a password, with its amr, and only with the internal credential", async () => {
    const { app, config } = await buildApp();
    const request = { userId: "u-2", sessionId: "s-2", otp: true };
    const response = await app.handle(post("/token/refresh", request));
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({ token: expect.any(String), tokenType: "Bearer", expiresIn: config.JWT_TTL_SECONDS });
    const claims = await verify(app, body.token as string);
    expect(claims).toMatchObject({ sub: "u-2", sid: "s-2", amr: ["pwd", "otp"], iss: "auth-api", aud: "users-api" });
    const passwordOnly = await app.handle(post("/token/refresh", { ...request, otp: false }));
    expect(await verify(app, ((await passwordOnly.json()) as { token: string }).token)).toMatchObject({ amr: ["pwd"] });
    expect(claims?.exp).toBe((claims?.iat as number) + config.JWT_TTL_SECONDS);

    for (const credential of [null, "wrong-token-wrong-token-wrong-token"]) {
      const refused = await app.handle(post("/token/refresh", request, credential));
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { type: string }).type).toBe(INTERNAL_CREDENTIAL_PROBLEM);
    }
    const invalid = await app.handle(post("/token/refresh", { userId: "u-2" }));
    expect(invalid.status).toBe(422);
    expect(((await invalid.json()) as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual([
      "sessionId",
      "otp",
    ]);
  });
});

describe("tokens the contract's verify options refuse", () => {
  test("alg none, HS256 keyed with the public key, tampered, foreign, wrong iss/aud, expired, garbage", async () => {
    const { app, config, keys } = await buildApp();
    const privateJwk = JSON.parse(config.JWT_SIGNING_KEY) as JWK;
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: "user-1", sid: "s", iss: "auth-api", aud: "users-api", iat: now, exp: now + 600, jti: "x" };
    const good = await signWith(privateJwk, {});
    expect(await verify(app, good)).toMatchObject({ sub: "user-1" });

    const none = `${b64({ alg: "none", typ: "JWT", kid: keys.kid })}.${b64(claims)}.`;
    const hsInput = `${b64({ alg: "HS256", typ: "JWT", kid: keys.kid })}.${b64(claims)}`;
    const publicJwk = keys.publicJwks[0]!;
    const hsWithX = `${hsInput}.${createHmac("sha256", Buffer.from(publicJwk.x!, "base64url")).update(hsInput).digest("base64url")}`;
    const hsWithJson = `${hsInput}.${createHmac("sha256", JSON.stringify(publicJwk)).update(hsInput).digest("base64url")}`;
    const [header, , signature] = good.split(".");
    const tampered = `${header}.${b64({ ...claims, sub: "admin" })}.${signature}`;
    const foreign = await signWith((await generateSigningKey()).privateJwk, {});
    const wrongIssuer = await signWith(privateJwk, { iss: "someone-else" });
    const wrongAudience = await signWith(privateJwk, { aud: "another-api" });
    const expired = await signWith(privateJwk, { iat: now - 7200, exp: now - 3600 });
    const signingKey = await importJWK(privateJwk, "EdDSA");
    const protectedHeader = { alg: "EdDSA", kid: keys.kid };
    const withoutExpiry = await new SignJWT({ ...claims, exp: undefined })
      .setProtectedHeader(protectedHeader)
      .sign(signingKey);
    const withoutJti = await new SignJWT({ ...claims, jti: undefined })
      .setProtectedHeader(protectedHeader)
      .sign(signingKey);
    const withoutSession = await new SignJWT({ ...claims, sid: undefined })
      .setProtectedHeader(protectedHeader)
      .sign(signingKey);

    for (const token of [
      none,
      hsWithX,
      hsWithJson,
      tampered,
      foreign,
      wrongIssuer,
      wrongAudience,
      expired,
      withoutExpiry,
      withoutJti,
      withoutSession,
      "garbage",
      "a.b.c",
    ]) {
      expect(await verify(app, token)).toBeUndefined();
    }
  });
});

describe("key rotation", () => {
  test("JWKS publishes current and previous public keys (never private parts); tokens of both verify", async () => {
    const old = await generateSigningKey();
    const { app, keys } = await buildApp({ JWT_PREVIOUS_PUBLIC_KEYS: JSON.stringify([old.privateJwk]) });
    const response = await app.handle(new Request("http://localhost/.well-known/jwks.json"));
    expect(response.status).toBe(200);
    const { keys: published } = (await response.json()) as { keys: JWK[] };
    expect(published.map((key) => key.kid)).toEqual([keys.kid, old.publicJwk.kid]);
    for (const key of published) {
      expect(key).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" });
      expect(key).not.toHaveProperty("d");
    }
    const oldToken = await signWith(old.privateJwk, { sub: "still-logged-in" });
    expect((await verify(app, oldToken))?.sub).toBe("still-logged-in");
  });
});
