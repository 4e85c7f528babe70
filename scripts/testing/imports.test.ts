// The module graph of the services' sources (`services/*/src`), read with Bun's own transpiler: what a module
// imports at run time (`import type` is erased, so it does not count), resolved as Bun resolves it, workspace package
// names included. Two rules, so that a feature stays cheap to add and to move:
// 1. No import cycle among those modules (a cycle makes evaluation order decide what is still undefined).
// 2. A controller (a feature folder's `index.ts`) reaches storage only through services: it imports no other
//    feature's controller and no `collection.ts` or `prepare.ts`, its own included. Services, schemas, plugins
//    (`sessions/bearer.ts`, `client-address/`, `cors/`), request helpers (`throttling/device-token.ts`,
//    `audit/context.ts`, `users/email.ts`) and files of its own folder are fine.
import { describe, expect, test } from "bun:test";
import { dirname, relative, resolve } from "node:path";
import { Glob } from "bun";

const root = resolve(import.meta.dir, "../..");
const transpiler = new Bun.Transpiler({ loader: "ts" });
const sources = [...new Glob("services/*/src/**/*.ts").scanSync(root)].map((file) => resolve(root, file)).sort();
const known = new Set(sources);

const imports = new Map<string, string[]>();
for (const file of sources) {
  const targets: string[] = [];
  for (const { path } of transpiler.scanImports(await Bun.file(file).text())) {
    let target: string;
    try {
      target = Bun.resolveSync(path, dirname(file));
    } catch {
      throw new Error(`${relative(root, file)} imports ${path}, which does not resolve`);
    }
    if (known.has(target)) targets.push(target);
  }
  imports.set(file, targets);
}

const name = (file: string) => relative(root, file);

function cycles(): string[] {
  const found: string[] = [];
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (file: string) => {
    state.set(file, "open");
    path.push(file);
    for (const target of imports.get(file) ?? []) {
      if (state.get(target) === "open") found.push([...path.slice(path.indexOf(target)), target].map(name).join(" → "));
      else if (!state.has(target)) visit(target);
    }
    path.pop();
    state.set(file, "done");
  };
  for (const file of sources) if (!state.has(file)) visit(file);
  return found;
}

/** `services/<service>/src/<feature>/index.ts` → its feature folder; undefined for any other module. */
const controllerFolder = (file: string) =>
  /^services\/[^/]+\/src\/[^/]+\/index\.ts$/.test(name(file)) ? dirname(file) : undefined;

describe("the services' module graph", () => {
  test("reads every source file and finds imports", () => {
    expect(sources.length).toBeGreaterThan(50);
    expect([...imports.values()].flat().length).toBeGreaterThan(sources.length);
  });

  test("has no import cycle", () => {
    expect(cycles()).toEqual([]);
  });

  test("the check finds a cycle where there is one", () => {
    const [a, b] = sources;
    const saved = [imports.get(a!), imports.get(b!)];
    imports.set(a!, [b!]);
    imports.set(b!, [a!]);
    try {
      expect(cycles()).toContain(`${name(a!)} → ${name(b!)} → ${name(a!)}`);
    } finally {
      imports.set(a!, saved[0]!);
      imports.set(b!, saved[1]!);
    }
  });

  test("controllers import no other controller and no collection or preparation", () => {
    const refused: string[] = [];
    for (const [file, targets] of imports) {
      const folder = controllerFolder(file);
      if (folder === undefined) continue;
      for (const target of targets) {
        const otherController = controllerFolder(target) !== undefined && target !== file;
        const storage = /\/(collection|prepare)\.ts$/.test(target);
        if (otherController || storage) refused.push(`${name(file)} → ${name(target)}`);
      }
    }
    expect(refused).toEqual([]);
  });
});
