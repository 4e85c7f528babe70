import { describe, expect, test } from "bun:test";
import { ConfigError } from "@accounts/shared";
import { loadUsersConfig } from "../src/config.ts";

const valid = {
  MONGODB_URI: "mongodb://user:s3cret@db.example:27017/accounts",
  INTERNAL_TOKEN: "t".repeat(32),
  SMTP_URL: "smtps://mailer:s3cret@smtp.example:465",
  MAIL_FROM: "Accounts <no-reply@example.com>",
  MFA_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString("base64"),
};

describe("users-api config", () => {
  test("defaults everything but the secrets", () => {
    expect(loadUsersConfig(valid)).toEqual({
      ...valid,
      PORT: 3000,
      LOG_LEVEL: "info",
      BODY_LIMIT_BYTES: 65536,
      AUTH_API_URL: "http://localhost:3001",
      AUTH_API_TIMEOUT_MS: 5000,
      TRUSTED_PROXIES: "",
      LOGINS_PER_CLIENT_PER_MINUTE: 20,
      SIGNUPS_PER_CLIENT_PER_HOUR: 10,
      EMAIL_REQUESTS_PER_CLIENT_PER_HOUR: 5,
      REFRESHES_PER_CLIENT_PER_MINUTE: 60,
      PROOFS_PER_CLIENT_PER_MINUTE: 20,
      LOGIN_FAILURES_BEFORE_DELAY: 5,
      LOGIN_DELAY_BASE_MS: 1000,
      LOGIN_DELAY_MAX_MS: 900_000,
      SESSION_MAX_AGE_SECONDS: 2592000,
      SESSION_IDLE_SECONDS: 604800,
      REFRESH_REUSE_GRACE_SECONDS: 10,
      PUBLIC_URL: "http://localhost:3000",
      REQUIRE_VERIFIED_EMAIL: false,
      MFA_PREVIOUS_ENCRYPTION_KEYS: "",
      TOTP_ISSUER: "Accounts",
      AUDIT_RETENTION_DAYS: 90,
      ADMIN_PORT: 3002,
      CORS_ORIGINS: "",
    });
  });

  test("ADMIN_TOKEN is optional, and when set follows INTERNAL_TOKEN's rules (long, Bearer-safe)", () => {
    const token = "a".repeat(32);
    expect(loadUsersConfig({ ...valid, ADMIN_TOKEN: token, ADMIN_PORT: "4000" })).toMatchObject({
      ADMIN_TOKEN: token,
      ADMIN_PORT: 4000,
    });
    for (const bad of ["a".repeat(31), `${"a".repeat(32)} b`, `${"a".repeat(32)}"`])
      expect(() => loadUsersConfig({ ...valid, ADMIN_TOKEN: bad })).toThrow("ADMIN_TOKEN");
  });

  test("MFA_ENCRYPTION_KEY is 32 bytes in base64, and so is each previous key", () => {
    const key = Buffer.alloc(32, 2).toString("base64");
    expect(
      loadUsersConfig({ ...valid, MFA_PREVIOUS_ENCRYPTION_KEYS: `${key}, ${key}` }).MFA_PREVIOUS_ENCRYPTION_KEYS,
    ).toBe(`${key}, ${key}`);
    for (const bad of [
      { MFA_ENCRYPTION_KEY: undefined },
      { MFA_ENCRYPTION_KEY: Buffer.alloc(16).toString("base64") },
      { MFA_PREVIOUS_ENCRYPTION_KEYS: "not-a-key" },
    ])
      expect(() => loadUsersConfig({ ...valid, ...bad })).toThrow(ConfigError);
  });

  test("PUBLIC_URL follows PORT unless set; REQUIRE_VERIFIED_EMAIL and CORS_ORIGINS are read", () => {
    expect(loadUsersConfig({ ...valid, PORT: "8080" }).PUBLIC_URL).toBe("http://localhost:8080");
    expect(
      loadUsersConfig({
        ...valid,
        PUBLIC_URL: "https://accounts.example.com/",
        REQUIRE_VERIFIED_EMAIL: "true",
        CORS_ORIGINS: "https://app.example.com, http://localhost:5173",
      }),
    ).toMatchObject({
      PUBLIC_URL: "https://accounts.example.com",
      REQUIRE_VERIFIED_EMAIL: true,
      CORS_ORIGINS: "https://app.example.com, http://localhost:5173",
    });
  });

  test("names each missing or bad variable, never its value", () => {
    const error = (() => {
      try {
        loadUsersConfig({
          MONGODB_URI: "postgres://user:s3cret@db",
          INTERNAL_TOKEN: "short",
          AUTH_API_TIMEOUT_MS: "soon",
          SMTP_URL: "http://mailer:s3cret@smtp.example",
          MAIL_FROM: "nobody",
          PUBLIC_URL: "ftp://example.com",
          REQUIRE_VERIFIED_EMAIL: "maybe",
          CORS_ORIGINS: "https://app.example.com/path",
        });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    const { message } = error as ConfigError;
    for (const name of [
      "MONGODB_URI",
      "INTERNAL_TOKEN",
      "AUTH_API_TIMEOUT_MS",
      "SMTP_URL",
      "MAIL_FROM",
      "PUBLIC_URL",
      "REQUIRE_VERIFIED_EMAIL",
      "CORS_ORIGINS",
    ])
      expect(message).toContain(name);
    expect(message).not.toContain("s3cret");
    expect(message).not.toContain("short");
  });

  test("the process refuses to start without its secrets, naming them", async () => {
    const child = Bun.spawn(["bun", "src/index.ts"], {
      cwd: `${import.meta.dir}/..`,
      env: { PATH: process.env.PATH ?? "" },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(await child.exited).toBe(1);
    const stderr = await new Response(child.stderr).text();
    expect(stderr).toContain("MONGODB_URI: is required");
    expect(stderr).toContain("INTERNAL_TOKEN: is required");
    expect(stderr).toContain("SMTP_URL: is required");
    expect(stderr).toContain("MAIL_FROM: is required");
    // A process start: on a busy machine it can take longer than bun's default 5 s.
  }, 15_000);
});
