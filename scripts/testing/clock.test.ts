// Every time-dependent decision in the services reads the clock their entry point injects (`clock`, `monotonic`), so
// a test moves time instead of sleeping or writing dates into storage. This fails when a module other than an entry
// point (`services/*/src/index.ts`) reads the real clock. Comments are stripped first: they may name the calls.
import { expect, test } from "bun:test";
import { resolve } from "node:path";
import { Glob } from "bun";

const root = resolve(import.meta.dir, "../..");
const entryPoint = /^services\/[^/]+\/src\/index\.ts$/;
const realClock = /\bDate\.now\b|\bnew Date\(\s*\)|\bperformance\.now\b/;
const withoutComments = (source: string) => source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");

const readers = async () => {
  const found: string[] = [];
  for (const file of new Glob("services/*/src/**/*.ts").scanSync(root)) {
    const lines = withoutComments(await Bun.file(resolve(root, file)).text()).split("\n");
    for (const line of lines) if (realClock.test(line)) found.push(`${file}: ${line.trim()}`);
  }
  return found;
};

test("only the services' entry points read the real clock", async () => {
  const found = await readers();
  expect(found.filter((reader) => !entryPoint.test(reader.split(":")[0]!))).toEqual([]);
  // The check sees what it looks for: both entry points inject the real clock.
  expect(found.filter((reader) => entryPoint.test(reader.split(":")[0]!)).length).toBeGreaterThanOrEqual(2);
});
