// Every relative link in the repository's own Markdown points to a file that exists, and every `#anchor` to a heading
// that file has, as GitHub renders it. Also: the README stays short and opens with the two commands.
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");

/** Folders never searched: dependencies, build output, git's own, and the reports the bench writes. */
const SKIPPED = new Set(["node_modules", ".git", "dist", ".dev", "bench/results"]);

/** The repository's own Markdown files, relative to the root. */
const markdownFiles = (dir = ""): string[] =>
  readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) return SKIPPED.has(entry.name) || SKIPPED.has(path) ? [] : markdownFiles(path);
    return entry.name.endsWith(".md") ? [path] : [];
  });

/** The text with fenced code blocks and inline code blanked out (same length, so offsets still give line numbers). */
const prose = (text: string): string =>
  text
    .replace(/^ {0,3}(`{3,}|~{3,})[^\n]*\n[\s\S]*?^ {0,3}\1[^\n]*$/gm, (block) => block.replace(/[^\n]/g, " "))
    .replace(/(`+)(?!`)[\s\S]*?[^`]\1(?!`)/g, (span) => span.replace(/[^\n]/g, " "));

/** GitHub's heading id: the text as rendered, lower-cased, punctuation dropped, each space a hyphen. */
const slug = (heading: string): string =>
  heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/<[^>]+>/g, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");

/** The anchors a Markdown file offers: one per heading (repeats get -1, -2 …), and any HTML id or name. */
const anchorsOf = (text: string): Set<string> => {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const withoutCode = text.replace(/^ {0,3}(`{3,}|~{3,})[^\n]*\n[\s\S]*?^ {0,3}\1[^\n]*$/gm, "");
  for (const [, heading] of withoutCode.matchAll(/^ {0,3}#{1,6}[ \t]+(.*?)[ \t]*#*[ \t]*$/gm)) {
    const base = slug(heading ?? "");
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  for (const [, id] of text.matchAll(/<[a-z]+[^>]*\s(?:id|name)="([^"]+)"/gi)) anchors.add(id ?? "");
  return anchors;
};

type Link = { file: string; line: number; target: string };

/** Every inline link and image, and every reference definition, outside code. */
const linksOf = (file: string, text: string): Link[] => {
  const body = prose(text);
  const lineAt = (index: number) => body.slice(0, index).split("\n").length;
  const inline = [...body.matchAll(/!?\[(?:[^[\]]|\[[^[\]]*\])*\]\(\s*(<[^>]*>|[^\s)]*)(?:\s+"[^"]*")?\s*\)/g)];
  const definitions = [...body.matchAll(/^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/gm)];
  return [...inline, ...definitions].map((match) => ({
    file,
    line: lineAt(match.index ?? 0),
    target: (match[1] ?? "").replace(/^<(.*)>$/, "$1"),
  }));
};

const external = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//");

/** Why a relative link is broken, or undefined when it is not. */
const problem = ({ file, target }: Link, anchors: (file: string) => Set<string>): string | undefined => {
  const hash = target.indexOf("#");
  const path = decodeURIComponent(hash < 0 ? target : target.slice(0, hash));
  const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
  const absolute =
    path === "" ? join(ROOT, file) : path.startsWith("/") ? join(ROOT, path) : join(ROOT, dirname(file), path);
  const shown = relative(ROOT, absolute) || ".";
  if (!absolute.startsWith(ROOT)) return `${shown} is outside the repository`;
  if (!existsSync(absolute)) return `${shown} does not exist`;
  if (anchor === undefined) return undefined;
  if (!statSync(absolute).isFile() || !absolute.endsWith(".md")) return `#${anchor}: ${shown} is not a Markdown file`;
  if (!anchors(relative(ROOT, absolute)).has(anchor)) return `${shown} has no heading #${anchor}`;
  return undefined;
};

describe("GitHub's heading ids", () => {
  test("lower-case, punctuation dropped, spaces to hyphens, code and links as their text", () => {
    expect(slug("Retrying after a 503")).toBe("retrying-after-a-503");
    expect(slug("The deploy tool's tests")).toBe("the-deploy-tools-tests");
    expect(slug("auth-api (internal)")).toBe("auth-api-internal");
    expect(slug("Email: verification, password reset, notices")).toBe("email-verification-password-reset-notices");
    expect(slug("`HASH_QUEUE_LIMIT` and [the queue](x.md)")).toBe("hash_queue_limit-and-the-queue");
    expect(slug("Old README → new place")).toBe("old-readme--new-place");
  });

  test("a repeated heading gets -1, -2; headings in code blocks are none", () => {
    const anchors = anchorsOf("# A\n\n## A\n\n```sh\n# not a heading\n```\n\n### A ###\n");
    expect([...anchors]).toEqual(["a", "a-1", "a-2"]);
  });
});

describe("links in the repository's Markdown", () => {
  const files = markdownFiles();
  const texts = new Map(files.map((file) => [file, readFileSync(join(ROOT, file), "utf8")]));
  const anchorCache = new Map<string, Set<string>>();
  const anchors = (file: string) => {
    const cached = anchorCache.get(file);
    if (cached) return cached;
    const found = anchorsOf(texts.get(file) ?? readFileSync(join(ROOT, file), "utf8"));
    anchorCache.set(file, found);
    return found;
  };

  test("the files searched include every document the README and CONTRIBUTING point to", () => {
    expect(files).toEqual(
      expect.arrayContaining([
        "README.md",
        "CONTRIBUTING.md",
        "docs/security.md",
        "k8s/README.md",
        "bench/README.md",
        "tools/README.md",
      ]),
    );
    expect(files.filter((file) => file.includes("node_modules") || file.startsWith("bench/results/"))).toEqual([]);
  });

  test("every relative link reaches an existing file, and every #anchor a heading in it", () => {
    const links = files.flatMap((file) => linksOf(file, texts.get(file) ?? ""));
    expect(links.filter((link) => !external(link.target)).length).toBeGreaterThan(50);
    const broken = links
      .filter((link) => !external(link.target))
      .flatMap((link) => {
        const why = problem(link, anchors);
        return why ? [`${link.file}:${link.line}: (${link.target}) ${why}`] : [];
      });
    expect(broken).toEqual([]);
  });

  test("a link in a code block or inline code is not a link", () => {
    const text = "`[a](missing.md)`\n\n```md\n[b](missing.md)\n```\n\n[c](README.md)\n";
    expect(linksOf("x.md", text).map((link) => link.target)).toEqual(["README.md"]);
  });
});

describe("README.md", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");

  test("stays at most 12 KB", () => {
    expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(12 * 1024);
  });

  test("opens with the two commands: one starts the whole system, one runs the whole suite", () => {
    expect(readme.split("\n").slice(0, 6)).toEqual([
      "# accounts",
      "",
      "```sh",
      "bun install && bun run dev    # starts the whole system locally: users-api :3000, auth-api :3001, a database",
      "bun run test                  # runs the whole test suite",
      "```",
    ]);
  });
});
