// The fault suite's results table: written by the suite (UPDATE_FAULT_RESULTS=1) into results.md and into the
// README between markers, never by hand; faults.test.ts checks both hold the same table, one row per fault.
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";

export const RESULTS_FILE = resolve(import.meta.dir, "results.md");
export const README_FILE = resolve(import.meta.dir, "../../../../README.md");
const BEGIN = "<!-- fault-results:begin (written by services/users-api/test/faults.test.ts) -->";
const END = "<!-- fault-results:end -->";

export interface FaultRow {
  fault: string;
  outcome: string;
  recovery: string;
}

const HEADER = "| fault | outcome under load | back to 100% after the fault ended |\n| --- | --- | --- |";

export const formatTable = (rows: readonly FaultRow[]) =>
  [HEADER, ...rows.map(({ fault, outcome, recovery }) => `| ${fault} | ${outcome} | ${recovery} |`)].join("\n");

/** The fault names in a table `formatTable` wrote. */
export const faultsIn = (table: string) =>
  table
    .split("\n")
    .slice(2)
    .map((line) => line.split(" | ")[0]!.replace(/^\| /, ""));

export function writeResults(rows: readonly FaultRow[], note: string) {
  const table = formatTable(rows);
  writeFileSync(RESULTS_FILE, `# Fault-injection results\n\n${note}\n\n${table}\n`);
  const readme = readFileSync(README_FILE, "utf8");
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${BEGIN} … ${END} block`);
  writeFileSync(README_FILE, `${readme.slice(0, start + BEGIN.length)}\n${table}\n${readme.slice(end)}`);
}

/** The table as results.md and the README hold it now. */
export function committedTables() {
  const readme = readFileSync(README_FILE, "utf8");
  const inReadme = readme.slice(readme.indexOf(BEGIN) + BEGIN.length, readme.indexOf(END)).trim();
  const inResults = readFileSync(RESULTS_FILE, "utf8").slice(readFileSync(RESULTS_FILE, "utf8").indexOf(HEADER)).trim();
  return { inReadme, inResults };
}
