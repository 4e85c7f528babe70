// docs/configuration.md's variables table and .env.example are the ones `bun run docs:config` writes from the config
// schemas.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { AuthConfigSchema, loadAuthConfig } from "@accounts/auth-api/config";
import { generateEncryptionKey, generateInternalToken } from "@accounts/shared/secrets";
import { loadUsersConfig, UsersConfigSchema } from "@accounts/users-api/config";
import { BEGIN, CONFIGURATION_DOC, configTable, END, ENV_EXAMPLE, envExample, withTable } from "./docs.ts";

const properties: Record<string, { description?: string }> = {
  ...UsersConfigSchema.properties,
  ...AuthConfigSchema.properties,
};

test("docs/configuration.md holds the table the config schemas make (`bun run docs:config` rewrites it)", () => {
  const text = readFileSync(CONFIGURATION_DOC, "utf8");
  expect(text).toContain(BEGIN);
  expect(text).toContain(END);
  expect(withTable(text, configTable())).toBe(text);
});

test("the table has one row per variable either service reads, each with its description", () => {
  const rows = configTable().split("\n").slice(2);
  expect(rows.map((row) => row.split("`")[1])).toEqual(Object.keys(properties));
  for (const row of rows) expect(row.split(" | ").at(-1)).not.toBe(" |");
  expect(rows.find((row) => row.startsWith("| `PORT` "))).toContain("`3000` (users-api), `3001` (auth-api)");
  expect(rows.find((row) => row.startsWith("| `HASH_CONCURRENCY` "))).toContain("the number of CPU cores");
});

test(".env.example is the one the config schemas make (`bun run docs:config` rewrites it)", () => {
  expect(readFileSync(ENV_EXAMPLE, "utf8")).toBe(envExample());
});

test(".env.example names every variable once; as Bun loads it, it leaves only secrets to fill in", () => {
  const names = [...envExample().matchAll(/^(?:# )?([A-Z_]+)=/gm)].map((match) => match[1]);
  expect(names.toSorted()).toEqual(Object.keys(properties).toSorted());

  const run = Bun.spawnSync(
    [process.execPath, "--env-file", ENV_EXAMPLE, "-e", "console.log(JSON.stringify(process.env))"],
    { cwd: tmpdir(), env: { PATH: process.env.PATH } },
  );
  const loaded: Record<string, string> = JSON.parse(run.stdout.toString());
  const env = Object.fromEntries(Object.entries(loaded).filter(([name]) => name in properties));
  const empty = Object.keys(env).filter((name) => env[name] === "");
  expect(empty.toSorted()).toEqual(["INTERNAL_TOKEN", "JWT_SIGNING_KEY", "MFA_ENCRYPTION_KEY"]);
  for (const name of empty) expect(properties[name]?.description).toStartWith("Secret:");

  const filled = {
    ...env,
    INTERNAL_TOKEN: generateInternalToken(),
    JWT_SIGNING_KEY: "{}", // auth-api's keys are checked when it starts, not by its config schema
    MFA_ENCRYPTION_KEY: generateEncryptionKey(),
  };
  expect(loadUsersConfig(filled).MONGODB_URI).toBe("mongodb://localhost:27017/accounts");
  expect(loadAuthConfig(filled).PORT).toBe(3001);
});
