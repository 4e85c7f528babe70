// docs/configuration.md's variables table is the one `bun run docs:config` writes from the config schemas.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { AuthConfigSchema } from "@accounts/auth-api/config";
import { UsersConfigSchema } from "@accounts/users-api/config";
import { BEGIN, CONFIGURATION_DOC, configTable, END, withTable } from "./docs.ts";

test("docs/configuration.md holds the table the config schemas make (`bun run docs:config` rewrites it)", () => {
  const text = readFileSync(CONFIGURATION_DOC, "utf8");
  expect(text).toContain(BEGIN);
  expect(text).toContain(END);
  expect(withTable(text, configTable())).toBe(text);
});

test("the table has one row per variable either service reads, each with its description", () => {
  const variables = new Set([
    ...Object.keys(UsersConfigSchema.properties),
    ...Object.keys(AuthConfigSchema.properties),
  ]);
  const rows = configTable().split("\n").slice(2);
  expect(rows.map((row) => row.split("`")[1])).toEqual([...variables]);
  for (const row of rows) expect(row.split(" | ").at(-1)).not.toBe(" |");
  expect(rows.find((row) => row.startsWith("| `PORT` "))).toContain("`3000` (users-api), `3001` (auth-api)");
  expect(rows.find((row) => row.startsWith("| `HASH_CONCURRENCY` "))).toContain("the number of CPU cores");
});
