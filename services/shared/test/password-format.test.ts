// Found by the fuzzing suite (services/users-api/test/fuzz.test.ts): a password of five characters, four of them outside
// the Basic Multilingual Plane, was eight UTF-16 code units long and passed `minLength: 8`.
import { expect, test } from "bun:test";
import { Value } from "@sinclair/typebox/value";
import { NewPassword } from "../src/index.ts";
import { NEW_PASSWORD_LENGTH } from "../src/limits.ts";

const emoji = "\u{1F600}";

test("a new password's length is counted in characters, not UTF-16 code units", () => {
  const errors = (value: string) => [...Value.Errors(NewPassword, value)].map(({ message }) => message);
  expect(errors("a".repeat(NEW_PASSWORD_LENGTH.min - 1))).toEqual(["Expected string length greater or equal to 8"]);
  expect(errors(`H${emoji.repeat(3)}Ú`)).toEqual(["Expected string to match 'new-password' format"]);
  expect(`H${emoji.repeat(3)}Ú`.length).toBe(8);
  expect(Value.Check(NewPassword, `H${emoji.repeat(3)}Ú`)).toBe(false);
  expect(Value.Check(NewPassword, emoji.repeat(NEW_PASSWORD_LENGTH.min - 1))).toBe(false);
  expect(Value.Check(NewPassword, emoji.repeat(NEW_PASSWORD_LENGTH.min))).toBe(true);
  expect(Value.Check(NewPassword, "a".repeat(NEW_PASSWORD_LENGTH.min))).toBe(true);
  expect(Value.Check(NewPassword, "a".repeat(NEW_PASSWORD_LENGTH.min - 1))).toBe(false);
  expect(Value.Check(NewPassword, "a".repeat(NEW_PASSWORD_LENGTH.max))).toBe(true);
  expect(Value.Check(NewPassword, "a".repeat(NEW_PASSWORD_LENGTH.max + 1))).toBe(false);
});
