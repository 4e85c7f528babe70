import { describe, expect, test } from "bun:test";
import { ConfigError } from "@accounts/shared";
import { availableParallelism } from "node:os";
import { loadAuthConfig } from "../src/config.ts";

const required = { INTERNAL_TOKEN: "i".repeat(43), JWT_SIGNING_KEY: '{"kty":"OKP"}' };

describe("auth-api config", () => {
  test("defaults: port 3001, OWASP hash cost, one hash per core, 15 minute tokens", () => {
    expect(loadAuthConfig(required)).toEqual({
      ...required,
      PORT: 3001,
      LOG_LEVEL: "info",
      BODY_LIMIT_BYTES: 65536,
      JWT_PREVIOUS_PUBLIC_KEYS: "[]",
      JWT_TTL_SECONDS: 900,
      HASH_MEMORY_KIB: 19456,
      HASH_TIME_COST: 2,
      HASH_CONCURRENCY: availableParallelism(),
    });
  });

  test("the hash cost may not go below the OWASP minimum", () => {
    expect(() => loadAuthConfig({ ...required, HASH_MEMORY_KIB: "19455", HASH_TIME_COST: "1" })).toThrow(
      new ConfigError(
        "Invalid configuration:\n  HASH_MEMORY_KIB: Expected integer to be greater or equal to 19456\n  HASH_TIME_COST: Expected integer to be greater or equal to 2",
      ),
    );
    expect(loadAuthConfig({ ...required, HASH_MEMORY_KIB: "65536", HASH_TIME_COST: "3" })).toMatchObject({
      HASH_MEMORY_KIB: 65536,
      HASH_TIME_COST: 3,
    });
  });

  test("a short internal token is refused without being echoed", () => {
    const short = "short-but-secret";
    expect(() => loadAuthConfig({ ...required, INTERNAL_TOKEN: short })).toThrow(
      "INTERNAL_TOKEN: Expected string length greater or equal to 32",
    );
    try {
      loadAuthConfig({ ...required, INTERNAL_TOKEN: short });
    } catch (error) {
      expect((error as Error).message).not.toContain(short);
    }
  });

  test("missing secrets are named", () => {
    expect(() => loadAuthConfig({})).toThrow(
      "Invalid configuration:\n  INTERNAL_TOKEN: is required\n  JWT_SIGNING_KEY: is required",
    );
  });
});
