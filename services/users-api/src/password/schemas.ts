import { LOGIN_PASSWORD_LENGTH, NEW_PASSWORD_LENGTH } from "@accounts/shared/limits";
import { t, type Static } from "elysia";

export const PasswordChange = t.Object({
  // As login accepts it: seed-era passwords may be shorter than today's rule.
  currentPassword: t.String({ minLength: LOGIN_PASSWORD_LENGTH.min, maxLength: LOGIN_PASSWORD_LENGTH.max }),
  // Sign-up's rule.
  newPassword: t.String({ minLength: NEW_PASSWORD_LENGTH.min, maxLength: NEW_PASSWORD_LENGTH.max }),
});
export type PasswordChange = Static<typeof PasswordChange>;
