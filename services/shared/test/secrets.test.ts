import { expect, test } from "bun:test";
import { generateInternalToken } from "../src/index.ts";

test("generateInternalToken gives 32 random bytes as base64url, fresh each time", () => {
  const tokens = new Set(Array.from({ length: 100 }, generateInternalToken));
  expect(tokens.size).toBe(100);
  for (const token of tokens) {
    expect(token).toMatch(/^[\w-]{43}$/);
    expect(Buffer.from(token, "base64url")).toHaveLength(32);
  }
});
