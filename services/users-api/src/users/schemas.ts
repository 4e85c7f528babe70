import { LoginPassword, NewPassword } from "@accounts/shared";
import { type Static, t } from "elysia";
import { SessionGrant } from "../sessions/schemas.ts";
import { DeviceToken, DeviceTokenGrant } from "../throttling/device-token.ts";
import { RECOVERY_CODES_LOW } from "../mfa/recovery-codes.ts";
import { EitherCode, MfaStatus, Password } from "../mfa/schemas.ts";

// Addresses are normalized (trimmed, lower-cased) before validation, see the controller's `transform`.
export const SignUpRequest = t.Object({
  email: t.String({ format: "email", maxLength: 254, examples: ["ada@example.com"] }),
  password: NewPassword,
});
export type SignUpRequest = Static<typeof SignUpRequest>;

// Looser than sign-up on purpose: the seed let 7-character passwords and addresses our format check
// refuses through, and those accounts must still log in.
export const LogInRequest = t.Object({
  email: t.String({ minLength: 1, maxLength: 254, examples: ["ada@example.com"] }),
  password: LoginPassword,
  deviceToken: t.Optional(DeviceToken),
});
export type LogInRequest = Static<typeof LogInRequest>;

export const User = t.Object({
  id: t.String(),
  // Not `format: "email"`: seed-era addresses such as `admin@localhost` fail that check, and a response
  // that fails its schema becomes a 500. The format is enforced where addresses come in, at sign-up.
  email: t.String(),
  createdAt: t.String({ format: "date-time" }),
  emailVerified: t.Boolean({ description: "Whether the owner followed a link sent to the address (seed-era: false)" }),
  mfa: MfaStatus,
});
export type User = Static<typeof User>;

export const UserResponse = t.Object({ user: User });

export const LogInResponse = t.Composite([
  SessionGrant,
  DeviceTokenGrant,
  t.Object({
    recoveryCodesLeft: t.Optional(
      t.Integer({ description: `after a second step, when ${RECOVERY_CODES_LOW} or fewer recovery codes are left` }),
    ),
  }),
]);
export type LogInResponse = Static<typeof LogInResponse>;

// Both optional in the schema: a missing one is refused like a wrong one (403), as every proof of presence is.
export const DeleteUserRequest = t.Optional(
  t.Object({
    password: t.Optional(Password),
    code: t.Optional(EitherCode),
  }),
);
