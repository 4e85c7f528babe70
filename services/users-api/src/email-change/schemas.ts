import { type Static, t } from "elysia";
import { OneTimeToken } from "../email-verification/schemas.ts";
import { EitherCode, Password } from "../mfa/schemas.ts";

// The address is normalized (trimmed, lower-cased) before validation, see the controller's `transform`. The password
// is optional in the schema: a missing one is refused like a wrong one (403), as every proof of presence is.
export const EmailChangeRequest = t.Object({
  newEmail: t.String({ format: "email", maxLength: 254, examples: ["ada@example.org"] }),
  password: t.Optional(Password),
  code: t.Optional(EitherCode),
});
export type EmailChangeRequest = Static<typeof EmailChangeRequest>;

export const EmailChangeTokenRequest = t.Object({ token: OneTimeToken });
export type EmailChangeTokenRequest = Static<typeof EmailChangeTokenRequest>;
