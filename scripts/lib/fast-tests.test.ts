// `bun run test:fast` keeps its rule: every file it runs needs only Bun (fast-tests.ts).
import { expect, test } from "bun:test";
import { join } from "node:path";
import { FAST_TESTS, SLOW_MARKERS } from "./fast-tests.ts";

const root = join(import.meta.dir, "../..");

const files = (entry: string) =>
  entry.endsWith("/") ? Array.from(new Bun.Glob(`${entry}**/*.test.ts`).scanSync({ cwd: root })) : [entry];

test("every listed fast test exists and starts no database, Go or Python tool, browser or benchmark", async () => {
  for (const entry of FAST_TESTS) {
    const listed = files(entry);
    expect({ entry, found: listed.length > 0 }).toEqual({ entry, found: true });
    for (const file of listed) {
      const source = await Bun.file(join(root, file)).text();
      const slow = SLOW_MARKERS.filter((marker) => marker.test(source)).map(String);
      expect({ file, slow }).toEqual({ file, slow: [] });
    }
  }
});
