import type { MfaService } from "../mfa/service.ts";
import type { PasswordResetService } from "../password-reset/service.ts";
import type { SessionService } from "../sessions/service.ts";
import type { Throttling } from "../throttling/service.ts";
import { noSuchUser, totpOff } from "../problems.ts";
import { normalizeEmail } from "../users/email.ts";
import type { UsersService } from "../users/service.ts";
import type { AdminUserDetail, UserPage, UserSearch } from "./schemas.ts";

// The page cursor: the page's last address, so the next page starts past it on the email index.
const cursorOf = (email: string) => Buffer.from(email).toString("base64url");
const emailOf = (cursor: string) => Buffer.from(cursor, "base64url").toString();

export type AdminService = ReturnType<typeof createAdminService>;

/** What an operator does to an account: one method per action, each through the services that own the data. */
export function createAdminService({
  users,
  sessions,
  mfa,
  throttling,
  passwordReset,
}: {
  users: Pick<UsersService, "find" | "search" | "disable" | "enable" | "removeById">;
  sessions: Pick<SessionService, "listOf" | "endAllByAdmin">;
  mfa: Pick<MfaService, "reset">;
  throttling: Pick<Throttling, "endDeviceTokens">;
  passwordReset: Pick<PasswordResetService, "sendLink">;
}) {
  async function existing(id: string) {
    const user = await users.find(id);
    if (!user) throw noSuchUser();
    return user;
  }

  return {
    async search({ email = "", limit, after }: UserSearch): Promise<UserPage> {
      // One more than asked: whether it comes back says whether there is a next page.
      const found = await users.search(normalizeEmail(email), limit + 1, after && emailOf(after));
      const page = found.slice(0, limit);
      return { users: page, next: found.length > limit ? cursorOf(page.at(-1)!.email) : null };
    },

    async show(id: string): Promise<AdminUserDetail> {
      const [user, live] = await Promise.all([existing(id), sessions.listOf(id)]);
      return { user, sessions: live };
    },

    /** No login opens a session any more; every session and device token ends. */
    async disable(id: string, reason: string): Promise<void> {
      const email = await users.disable(id, reason);
      if (email === undefined) throw noSuchUser();
      await Promise.all([sessions.endAllByAdmin(id), throttling.endDeviceTokens(email)]);
    },

    async enable(id: string): Promise<void> {
      if (!(await users.enable(id))) throw noSuchUser();
    },

    /** Every session ends at once (their access tokens are refused from the next request). */
    async logout(id: string): Promise<void> {
      await existing(id);
      await sessions.endAllByAdmin(id);
    },

    /** TOTP and recovery codes go, with a notice; every session ends, so the next login proves the password again. */
    async resetMfa(id: string, requestId: string): Promise<void> {
      const { email, mfa: status } = await existing(id);
      if (!status.totp || !(await mfa.reset(id, email, requestId))) throw totpOff();
      await sessions.endAllByAdmin(id);
    },

    /** A reset link to the account's address, as POST /password/forgot sends it (without its quota). */
    async resetPassword(id: string, requestId: string): Promise<void> {
      passwordReset.sendLink((await existing(id)).email, requestId);
    },

    /** As DELETE /user deletes it: its sessions, its document and its throttling documents. */
    async remove(id: string): Promise<void> {
      if (!(await users.removeById(id))) throw noSuchUser();
    },
  };
}
