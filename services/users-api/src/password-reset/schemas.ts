import { NewPassword } from "@accounts/shared";
import { type Static, t } from "elysia";
import { OneTimeToken } from "../email-verification/schemas.ts";

// Any address, as login takes them: a seed-era account with an address today's format check refuses can reset too.
export const ForgotPasswordRequest = t.Object({
  email: t.String({ minLength: 1, maxLength: 254, examples: ["ada@example.com"] }),
});
export type ForgotPasswordRequest = Static<typeof ForgotPasswordRequest>;

export const ResetPasswordRequest = t.Object({ token: OneTimeToken, newPassword: NewPassword });
export type ResetPasswordRequest = Static<typeof ResetPasswordRequest>;
