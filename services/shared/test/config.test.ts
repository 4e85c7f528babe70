import { describe, expect, test } from "bun:test";
import { INTERNAL_TOKEN_MIN_LENGTH } from "../src/limits.ts";
import {
  bearerToken,
  commonEnv,
  ConfigError,
  generateInternalToken,
  InternalTokenSchema,
  loadConfig,
  Type as t,
} from "../src/index.ts";

const schema = t.Object({
  ...commonEnv(3001),
  INTERNAL_TOKEN: t.String({ minLength: 32 }),
  HASH_TIME_COST: t.Integer({ minimum: 2, default: 2 }),
  OPTIONAL_LIMIT: t.Optional(t.Integer({ minimum: 1 })),
});
const token = "s".repeat(40);

describe("loadConfig", () => {
  test("applies defaults and coerces numbers", () => {
    const config = loadConfig(schema, { INTERNAL_TOKEN: token, HASH_TIME_COST: "3", PORT: "" });
    expect(config).toEqual({
      PORT: 3001,
      LOG_LEVEL: "info",
      BODY_LIMIT_BYTES: 65536,
      INTERNAL_TOKEN: token,
      HASH_TIME_COST: 3,
    });
    expect(loadConfig(schema, { INTERNAL_TOKEN: token, OPTIONAL_LIMIT: "7" }).OPTIONAL_LIMIT).toBe(7);
  });

  test("names a missing variable", () => {
    expect(() => loadConfig(schema, {})).toThrow(
      new ConfigError("Invalid configuration:\n  INTERNAL_TOKEN: is required"),
    );
  });

  test("names every bad variable without echoing secret values", () => {
    const secret = "too-short-secret";
    let error: unknown;
    try {
      loadConfig(schema, { INTERNAL_TOKEN: secret, PORT: "eighty", LOG_LEVEL: "verbose", HASH_TIME_COST: "1" });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const name of ["INTERNAL_TOKEN", "PORT", "LOG_LEVEL", "HASH_TIME_COST"])
      expect(message).toContain(`${name}: `);
    expect(message).not.toContain(secret);
    expect(message).toContain("HASH_TIME_COST: Expected integer to be greater or equal to 2");
    expect(message).toContain("LOG_LEVEL: must be one of debug, info, warn, error");
  });

  test("ignores variables outside the schema", () => {
    expect(loadConfig(schema, { INTERNAL_TOKEN: token, HOME: "/root" })).not.toHaveProperty("HOME");
  });
});

describe("InternalTokenSchema", () => {
  const internal = t.Object({ INTERNAL_TOKEN: InternalTokenSchema });

  test("accepts what generateInternalToken makes, and every b64token bearerToken reads back", () => {
    for (const value of [generateInternalToken(), `${"aZ09-._~+/".repeat(4)}==`]) {
      expect(loadConfig(internal, { INTERNAL_TOKEN: value }).INTERNAL_TOKEN).toBe(value);
      expect(bearerToken(`Bearer ${value}`)).toBe(value);
    }
  });

  test("refuses a token a Bearer header cannot carry, naming the variable and not the value", () => {
    for (const value of [`${"s".repeat(40)} x`, `${"s".repeat(40)}"`, `=${"s".repeat(40)}`, `${"é".repeat(40)}`]) {
      expect(bearerToken(`Bearer ${value}`)).toBeUndefined();
      let message = "";
      try {
        loadConfig(internal, { INTERNAL_TOKEN: value });
      } catch (error) {
        message = (error as ConfigError).message;
      }
      expect(message).toStartWith("Invalid configuration:\n  INTERNAL_TOKEN: Expected string to match");
      expect(message).not.toContain(value);
    }
  });

  test("refuses a token shorter than INTERNAL_TOKEN_MIN_LENGTH", () => {
    expect(loadConfig(internal, { INTERNAL_TOKEN: "s".repeat(INTERNAL_TOKEN_MIN_LENGTH) }).INTERNAL_TOKEN).toHaveLength(
      INTERNAL_TOKEN_MIN_LENGTH,
    );
    expect(() => loadConfig(internal, { INTERNAL_TOKEN: "s".repeat(INTERNAL_TOKEN_MIN_LENGTH - 1) })).toThrow(
      `INTERNAL_TOKEN: Expected string length greater or equal to ${INTERNAL_TOKEN_MIN_LENGTH}`,
    );
  });
});
