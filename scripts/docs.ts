// `bun run docs:config`: writes the variables table of docs/configuration.md from the services' config schemas
// (their TypeBox `description`s, defaults and bounds), between the markers below. Never edit the table by hand:
// scripts/docs.test.ts fails when it is stale.
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { AuthConfigSchema } from "@accounts/auth-api/config";
import { UsersConfigSchema } from "@accounts/users-api/config";

export const CONFIGURATION_DOC = resolve(import.meta.dir, "../docs/configuration.md");
export const BEGIN = "<!-- config-table:begin (written by `bun run docs:config` from the config schemas) -->";
export const END = "<!-- config-table:end -->";

const services = [
  ["users-api", UsersConfigSchema],
  ["auth-api", AuthConfigSchema],
] as const;

/** The parts of a TypeBox schema the table reads. */
// biome-ignore lint/suspicious/noExplicitAny: TypeBox schemas carry any JSON Schema keyword
type TSchema = Record<string, any>;

/** A schema may name its default in words where the value depends on the machine (`documentedDefault`). */
function defaultOf(schema: TSchema, optional: boolean): string {
  if (typeof schema.documentedDefault === "string") return schema.documentedDefault;
  if (schema.default === undefined) return optional ? "unset" : "**required**";
  if (schema.default === "") return "empty";
  return `\`${String(schema.default)}\``;
}

function allowedOf(schema: TSchema): string {
  if (Array.isArray(schema.anyOf)) return schema.anyOf.map((option: TSchema) => `\`${option.const}\``).join(", ");
  if (schema.type === "boolean") return "`true`, `false`";
  const bounds: string[] = [];
  if (schema.minimum !== undefined) bounds.push(`≥ ${schema.minimum}`);
  if (schema.maximum !== undefined) bounds.push(`≤ ${schema.maximum}`);
  if (schema.minLength === 1) bounds.push("not empty");
  else if (schema.minLength !== undefined) bounds.push(`≥ ${schema.minLength} characters`);
  if (schema.maxLength !== undefined) bounds.push(`≤ ${schema.maxLength} characters`);
  return bounds.join(", ");
}

interface Row {
  variable: string;
  services: string[];
  defaults: string[];
  allowed: string;
  description: string;
}

/** The table, one row per variable in schema order; a variable both services read is one row. */
export function configTable(): string {
  const rows = new Map<string, Row>();
  for (const [service, schema] of services) {
    const required = new Set<string>(schema.required ?? []);
    for (const [variable, property] of Object.entries(schema.properties) as [string, TSchema][]) {
      const description = property.description;
      if (!description) throw new Error(`${service}: ${variable} has no description in its config schema`);
      const fallback = defaultOf(property, !required.has(variable));
      const row = rows.get(variable);
      if (row) {
        row.services.push(service);
        row.defaults.push(fallback);
      } else {
        rows.set(variable, {
          variable,
          services: [service],
          defaults: [fallback],
          allowed: allowedOf(property),
          description,
        });
      }
    }
  }
  const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");
  const lines = [...rows.values()].map(({ variable, services: names, defaults, allowed, description }) => {
    const fallback =
      new Set(defaults).size === 1 ? defaults[0]! : defaults.map((d, i) => `${d} (${names[i]})`).join(", ");
    const service = names.length === services.length ? "both" : names.join(", ");
    return `| \`${variable}\` | ${service} | ${cell(fallback)} | ${cell(allowed)} | ${cell(description)} |`;
  });
  return ["| variable | service | default | allowed | meaning |", "| --- | --- | --- | --- | --- |", ...lines].join(
    "\n",
  );
}

/** `text` with the table between the markers replaced by `table`. */
export function withTable(text: string, table: string): string {
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`docs/configuration.md has no ${BEGIN} … ${END} block`);
  return `${text.slice(0, start + BEGIN.length)}\n${table}\n${text.slice(end)}`;
}

if (import.meta.main) {
  const text = readFileSync(CONFIGURATION_DOC, "utf8");
  const updated = withTable(text, configTable());
  if (updated !== text) writeFileSync(CONFIGURATION_DOC, updated);
  console.log(updated === text ? "docs/configuration.md is up to date" : "docs/configuration.md rewritten");
}
