import { LoginPassword, NewPassword } from "@accounts/shared";
import { type Static, t } from "elysia";
import { EitherCode } from "../mfa/schemas.ts";

export const PasswordChange = t.Object({
  // As login accepts it: seed-era passwords may be shorter than today's rule.
  currentPassword: LoginPassword,
  // Sign-up's rule.
  newPassword: NewPassword,
  code: t.Optional(EitherCode),
});
export type PasswordChange = Static<typeof PasswordChange>;
