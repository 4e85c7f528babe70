// The fault suite's results table: written by the suite (UPDATE_FAULT_RESULTS=1) into results.md, never by hand
// (docs/testing.md links to it); faults.test.ts checks it lists one row per fault the suite injects.
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";

export const RESULTS_FILE = resolve(import.meta.dir, "results.md");

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
}

/** The table as results.md holds it now. */
export function committedTable() {
  const results = readFileSync(RESULTS_FILE, "utf8");
  return results.slice(results.indexOf(HEADER)).trim();
}
