import { FormatRegistry } from "@sinclair/typebox";
import { NEW_PASSWORD_LENGTH } from "./limits.ts";

/**
 * The `format` of a new password (named after HTML's `autocomplete="new-password"`): between NEW_PASSWORD_LENGTH's
 * bounds counted in characters (Unicode code points), as NIST SP 800-63B and JSON Schema count them. `minLength`
 * alone is checked in UTF-16 code units here, so four characters outside the Basic Multilingual Plane (emoji,
 * say) passed as eight: the fuzzing suite found a five-character password accepted.
 */
export const NEW_PASSWORD_FORMAT = "new-password";

FormatRegistry.Set(NEW_PASSWORD_FORMAT, (value) => {
  const characters = [...value].length;
  return characters >= NEW_PASSWORD_LENGTH.min && characters <= NEW_PASSWORD_LENGTH.max;
});
