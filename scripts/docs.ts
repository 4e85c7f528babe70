// `bun run docs:config`: writes the variables table of docs/configuration.md (between the markers below) and the whole
// of .env.example from the services' config schemas: their TypeBox `description`s, defaults, bounds and `examples`.
// Never edit either by hand: scripts/docs.test.ts fails when one is stale.
import { readFileSync, writeFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { AuthConfigSchema } from "@accounts/auth-api/config";
import { UsersConfigSchema } from "@accounts/users-api/config";

const ROOT = resolve(import.meta.dir, "..");
export const CONFIGURATION_DOC = resolve(ROOT, "docs/configuration.md");
export const ENV_EXAMPLE = resolve(ROOT, ".env.example");
export const BEGIN = "<!-- config-table:begin (written by `bun run docs:config` from the config schemas) -->";
export const END = "<!-- config-table:end -->";

const services = [
  ["users-api", UsersConfigSchema],
  ["auth-api", AuthConfigSchema],
] as const;

/** The parts of a TypeBox schema the table and .env.example read. */
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

/** The description, with the schema's `examples`: the first is the value .env.example sets for a required variable. */
function meaning(schema: TSchema): string {
  return schema.examples ? `${schema.description}, e.g. ${schema.examples.join(", ")}` : schema.description;
}

interface Variable {
  name: string;
  /** The first service's schema of it (where both services read it, theirs differ at most in the default). */
  schema: TSchema;
  services: string[];
  defaults: string[];
  required: boolean;
}

/** Every variable either service reads, in schema order; a variable both services read is one. */
function variables(): Variable[] {
  const found = new Map<string, Variable>();
  for (const [service, schema] of services) {
    const mandatory = new Set<string>(schema.required ?? []);
    for (const [name, property] of Object.entries(schema.properties) as [string, TSchema][]) {
      if (!property.description) throw new Error(`${service}: ${name} has no description in its config schema`);
      // TypeBox lists a variable with a default as required too: the environment need not set it.
      const required = mandatory.has(name) && property.default === undefined;
      const fallback = defaultOf(property, !mandatory.has(name));
      const variable = found.get(name);
      if (variable) {
        variable.services.push(service);
        variable.defaults.push(fallback);
        variable.required ||= required;
      } else {
        found.set(name, { name, schema: property, services: [service], defaults: [fallback], required });
      }
    }
  }
  return [...found.values()];
}

const readByBoth = (variable: Variable) => variable.services.length === services.length;

/** One default, or each service's where they differ. */
function defaultText({ services: names, defaults }: Variable): string {
  return new Set(defaults).size === 1 ? defaults[0]! : defaults.map((d, i) => `${d} (${names[i]})`).join(", ");
}

/** The table, one row per variable. */
export function configTable(): string {
  const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");
  const lines = variables().map((variable) => {
    const service = readByBoth(variable) ? "both" : variable.services.join(", ");
    const { name, schema } = variable;
    return `| \`${name}\` | ${service} | ${cell(defaultText(variable))} | ${cell(allowedOf(schema))} | ${cell(meaning(schema))} |`;
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

const ENV_HEADER = `# Generated by \`bun run docs:config\` from the services' config schemas (services/*/src/config.ts): edit those,
# not this file. Each variable in full, and why its default is what it is: docs/configuration.md.
#
# To run a service by hand, copy this file to \`.env\` (Bun loads it from the working directory; git ignores it) and
# fill in the empty values, the secrets (\`bun run deploy -- generate-secrets\` makes them: docs/operations.md). A
# commented-out line shows the default; empty values count as unset. \`bun run dev\` needs none of this; in
# Kubernetes the manifests and the deploy tool set it.`;

/** `text` as comment lines of at most `width` characters, never breaking inside `code`. */
function commentLines(text: string, width = 118): string[] {
  const lines: string[] = [];
  let line = "#";
  for (const word of text.match(/(?:`[^`]*`|\S)+/g) ?? []) {
    if (line !== "#" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = "#";
    }
    line += ` ${word}`;
  }
  return [...lines, line];
}

/**
 * A variable in .env.example: what it means, then its line. A required variable is set, to the schema's example (a
 * value for this machine) or left empty (a secret to fill in); any other is commented out, showing its default where
 * that is one value.
 */
function envEntry(variable: Variable): string[] {
  const { name, schema, required } = variable;
  const plain = (markdown: string) => markdown.replace(/`|\*\*/g, "");
  const literal = schema.default !== undefined && !schema.documentedDefault && new Set(variable.defaults).size === 1;
  const fallback = defaultText(variable);
  const notes = [
    required && schema.examples ? schema.description : meaning(schema),
    required ? "Required" : literal || fallback === "unset" ? "" : `Default: ${plain(fallback)}`,
    allowedOf(schema) && `Allowed: ${plain(allowedOf(schema))}`,
  ];
  const line = required ? `${name}=${schema.examples?.[0] ?? ""}` : `# ${name}=${literal ? schema.default : ""}`;
  return [...commentLines(`${notes.filter(Boolean).join(". ")}.`), line];
}

/** The whole of .env.example: the variables both services read, then auth-api's, then users-api's. */
export function envExample(): string {
  const all = variables();
  const groupOf = (variable: Variable) => (readByBoth(variable) ? "both services" : variable.services[0]);
  const section = (title: string) => [
    `# ${"-".repeat(64)} ${title}`,
    ...all.filter((variable) => groupOf(variable) === title).flatMap(envEntry),
  ];
  const sections = ["both services", "auth-api", "users-api"].map((title) => section(title).join("\n"));
  return `${[ENV_HEADER, ...sections].join("\n\n")}\n`;
}

function update(file: string, text: string) {
  const current = readFileSync(file, "utf8");
  if (text !== current) writeFileSync(file, text);
  console.log(`${relative(ROOT, file)} ${text === current ? "is up to date" : "rewritten"}`);
}

if (import.meta.main) {
  update(CONFIGURATION_DOC, withTable(readFileSync(CONFIGURATION_DOC, "utf8"), configTable()));
  update(ENV_EXAMPLE, envExample());
}
