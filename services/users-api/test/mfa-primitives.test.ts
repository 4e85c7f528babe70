// The second factor's building blocks on their own: sealing secrets at rest, and TOTP codes against RFC 6238's own
// test vectors (SHA-1, secret "12345678901234567890"), at times the tests choose.
import { randomBytes } from "node:crypto";
import { expect, test } from "bun:test";
import { newRecoveryCodes, recoveryCodeHash } from "../src/mfa/recovery-codes.ts";
import { createSecretBox } from "../src/mfa/secret-box.ts";
import { acceptedStep, newTotpSecret, totpEnrolment } from "../src/mfa/totp.ts";

const rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
// RFC 6238 appendix B, SHA-1: 94287082 at 59 s, 07081804 at 1111111109 s; 6 digits are their last 6.
const vectors = [
  { at: 59_000, code: "287082", step: 1 },
  { at: 1_111_111_109_000, code: "081804", step: 37_037_036 },
];

test("a code is accepted at its own step, one step early or late, and not two", () => {
  for (const { at, code, step } of vectors) {
    expect(acceptedStep(rfcSecret, code, at)).toBe(step);
    expect(acceptedStep(rfcSecret, code, at + 30_000)).toBe(step);
    expect(acceptedStep(rfcSecret, code, at - 30_000)).toBe(step);
    expect(acceptedStep(rfcSecret, code, at + 60_000)).toBeUndefined();
  }
  expect(acceptedStep(rfcSecret, "000000", 59_000)).toBeUndefined();
  expect(acceptedStep(rfcSecret, "28708", 59_000)).toBeUndefined();
});

test("replay: a step at or before the last one used is refused, within the skew window too", () => {
  const { at, code, step } = vectors[1]!;
  expect(acceptedStep(rfcSecret, code, at, step - 1)).toBe(step);
  expect(acceptedStep(rfcSecret, code, at, step)).toBeUndefined();
  expect(acceptedStep(rfcSecret, code, at + 30_000, step)).toBeUndefined();
});

test("a new secret is 160 random bits in unpadded base32, and the enrolment names issuer and address", async () => {
  const secret = newTotpSecret();
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  expect(newTotpSecret()).not.toBe(secret);
  const { otpauthUri, qrCodeSvg } = await totpEnrolment(secret, "Accounts", "ada@example.com");
  expect(otpauthUri).toBe(
    `otpauth://totp/Accounts:ada%40example.com?issuer=Accounts&secret=${secret}&algorithm=SHA1&digits=6&period=30`,
  );
  expect(qrCodeSvg).toStartWith("<svg");
  // Drawn with paths only: nothing to fetch, nothing to run.
  expect(qrCodeSvg).not.toMatch(/href|<image|<script/);
});

test("a sealed secret opens only with a key that sealed it, for the owner it was sealed for, unchanged", () => {
  const key = randomBytes(32);
  const box = createSecretBox({ current: key });
  const sealed = box.seal(rfcSecret, "user-1");
  expect(sealed).not.toContain(rfcSecret);
  expect(box.open(sealed, "user-1")).toBe(rfcSecret);
  expect(box.open(sealed, "user-2")).toBeUndefined();
  const [id, body] = sealed.split(".") as [string, string];
  const flipped = Buffer.from(body, "base64url");
  flipped[20]! ^= 1;
  expect(box.open(`${id}.${flipped.toString("base64url")}`, "user-1")).toBeUndefined();
  expect(createSecretBox({ current: randomBytes(32) }).open(sealed, "user-1")).toBeUndefined();
  expect(box.open("nonsense", "user-1")).toBeUndefined();
});

test("rotation: the previous key still opens what it sealed, which is not current; new values use the new key", () => {
  const [old, next] = [randomBytes(32), randomBytes(32)];
  const sealedBefore = createSecretBox({ current: old }).seal(rfcSecret, "user-1");
  const rotated = createSecretBox({ current: next, previous: [old] });
  expect(rotated.open(sealedBefore, "user-1")).toBe(rfcSecret);
  expect(rotated.isCurrent(sealedBefore)).toBe(false);
  const sealedAfter = rotated.seal(rfcSecret, "user-1");
  expect(rotated.isCurrent(sealedAfter)).toBe(true);
  expect(createSecretBox({ current: next }).open(sealedAfter, "user-1")).toBe(rfcSecret);
});

test("recovery codes: 10 of 80 random bits each, stored as hashes keyed by their user, typed loosely", () => {
  const { codes, hashes } = newRecoveryCodes("user-1");
  expect(codes).toHaveLength(10);
  for (const code of codes) expect(code).toMatch(/^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$/);
  expect(new Set(codes).size).toBe(10);
  expect(hashes).toEqual(codes.map((code) => recoveryCodeHash("user-1", code)));
  expect(JSON.stringify(hashes)).not.toContain(codes[0]!.replaceAll("-", ""));
  // Typed without dashes, in capitals, with spaces: the same code.
  expect(recoveryCodeHash("user-1", ` ${codes[0]!.toUpperCase().replaceAll("-", " ")} `)).toBe(hashes[0]!);
  // Another account's hash of the same code differs.
  expect(recoveryCodeHash("user-2", codes[0]!)).not.toBe(hashes[0]!);
});
