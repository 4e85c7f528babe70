import { expect, test } from "bun:test";
import { bearerToken } from "../src/index.ts";

test("bearerToken reads the token whatever the scheme's case, and only a b64token (RFC 6750, RFC 9110)", () => {
  const jwt = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJl";
  for (const scheme of ["Bearer", "bearer", "BEARER", "bEaReR"]) expect(bearerToken(`${scheme} ${jwt}`)).toBe(jwt);
  expect(bearerToken("Bearer  a-b_c.d~e+f/g==")).toBe("a-b_c.d~e+f/g==");
  for (const refused of [
    undefined,
    null,
    "",
    "Bearer",
    "Bearer ",
    `Basic ${jwt}`,
    `Bearer${jwt}`,
    `Bearer ${jwt} extra`,
    `Bearer ${jwt}\n`,
    "Bearer a=b",
    "Bearer =",
    `Token ${jwt}`,
  ])
    expect({ refused, token: bearerToken(refused) }).toEqual({ refused, token: undefined });
});
