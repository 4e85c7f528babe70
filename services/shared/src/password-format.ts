import { FormatRegistry } from "@sinclair/typebox";
import { NEW_PASSWORD_LENGTH } from "./limits.ts";

/**
 * The `format` of a new password (named after HTML's `autocomplete="new-password"`): at least NEW_PASSWORD_LENGTH.min
 * characters (Unicode code points), as NIST SP 800-63B and JSON Schema count them. `minLength`
 * alone is checked in UTF-16 code units here, so four characters outside the Basic Multilingual Plane (emoji,
 * say) passed as eight: the fuzzing suite found a five-character password accepted.
 */
export const NEW_PASSWORD_FORMAT = "new-password";

// Only what minLength and maxLength miss, so a short password gets one error, theirs: a string has at most as
// many characters as code units, so the one case left is enough code units but too few characters.
FormatRegistry.Set(
  NEW_PASSWORD_FORMAT,
  (value) => value.length < NEW_PASSWORD_LENGTH.min || [...value].length >= NEW_PASSWORD_LENGTH.min,
);
