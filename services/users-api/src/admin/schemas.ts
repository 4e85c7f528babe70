import { type Static, t } from "elysia";
import { SessionView } from "../sessions/schemas.ts";

export const AdminUser = t.Object({
  id: t.String(),
  email: t.String(),
  createdAt: t.String({ format: "date-time" }),
  emailVerified: t.Boolean(),
  disabled: t.Boolean({ description: "whether an operator disabled it: no login opens a session" }),
  mfa: t.Object({ totp: t.Boolean({ description: "whether a login asks for a code after the password" }) }),
  lastLoginAt: t.Union([t.String({ format: "date-time" }), t.Null()], {
    description: "when a login last opened a session (null: none since this was recorded)",
  }),
});
export type AdminUser = Static<typeof AdminUser>;

/** At most this many users a page. */
export const USERS_PAGE_MAX = 100;

export const UserSearch = t.Object({
  email: t.Optional(
    t.String({ maxLength: 254, description: "a prefix of the address, matched as stored (trimmed, lower-cased)" }),
  ),
  limit: t.Integer({ minimum: 1, maximum: USERS_PAGE_MAX, default: 20 }),
  after: t.Optional(t.String({ pattern: "^[A-Za-z0-9_-]+$", maxLength: 400, description: "the previous page's next" })),
});
export type UserSearch = Static<typeof UserSearch>;

export const UserPage = t.Object({
  users: t.Array(AdminUser),
  next: t.Union([t.String(), t.Null()], { description: "`after` for the next page; null on the last" }),
});
export type UserPage = Static<typeof UserPage>;

export const AdminUserDetail = t.Object({
  user: AdminUser,
  sessions: t.Array(t.Omit(SessionView, ["current"])),
});
export type AdminUserDetail = Static<typeof AdminUserDetail>;

export const UserParams = t.Object({ id: t.String({ pattern: "^[0-9a-f]{24}$", description: "a user id" }) });

export const DisableRequest = t.Object({
  reason: t.String({ minLength: 1, maxLength: 500, description: "why, for whoever reads the account later" }),
});
export type DisableRequest = Static<typeof DisableRequest>;
