// The admin token `bun run dev` made for its run, where `bun run admin` finds it without anyone copying (or the
// terminal showing) it: .dev/admin.json (git-ignored), readable by the owner only, removed when dev stops.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const file = join(import.meta.dirname, "../../.dev/admin.json");

interface DevAdmin {
  url: string;
  token: string;
}

export function writeDevAdmin(credentials: DevAdmin): void {
  mkdirSync(join(file, ".."), { recursive: true, mode: 0o700 });
  rmSync(file, { force: true });
  writeFileSync(file, JSON.stringify(credentials), { mode: 0o600, flag: "wx" });
}

export const removeDevAdmin = () => rmSync(file, { force: true });

/** The dev system's admin URL and token, while one runs. */
export function readDevAdmin(): DevAdmin | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as DevAdmin;
  } catch {
    return undefined;
  }
}
