import { Types, isValidObjectId } from "mongoose";
import type { AuditService } from "../audit/service.ts";
import type { AuditContext } from "../audit/schemas.ts";
import type { AuthClient } from "../auth-client/client.ts";
import type { EmailVerificationService } from "../email-verification/service.ts";
import { isDuplicateKey, orUnavailable } from "../mongodb.ts";
import type { PasswordPolicy } from "../password-policy/service.ts";
import type { Authenticate } from "../sessions/bearer.ts";
import { callerQuery } from "../sessions/queries.ts";
import type { Caller, Client } from "../sessions/schemas.ts";
import type { SessionService } from "../sessions/service.ts";
import type { MfaService } from "../mfa/service.ts";
import type { Throttling } from "../throttling/service.ts";
import { type UsersCollection, userFilters } from "./collection.ts";
import { type StoredUser, toUser } from "./user.ts";
import {
  accountDisabled,
  emailNotVerified,
  emailTaken,
  passwordRequiredToDelete,
  WaitRefused,
  wrongPassword,
} from "../problems.ts";
import type { LogInRequest, LogInResponse, SignUpRequest, User } from "./schemas.ts";
import type { AdminUser } from "../admin/schemas.ts";
import type { StoredMfa } from "../mfa/collection.ts";
import type { Presence, Proof } from "../mfa/presence.ts";
import type { MfaChallenge } from "../mfa/schemas.ts";

/** The seed's hashes: bcrypt, `$2a$<cost>$…` (or `$2b$`, `$2y$`). */
const LEGACY_HASH = /^\$2[aby]\$\d\d\$/;

const ADMIN_PROJECTION = {
  email: 1,
  createdAt: 1,
  emailVerified: 1,
  "disabled.at": 1,
  lastLoginAt: 1,
  "mfa.totp.confirmedAt": 1,
} as const;

const toAdminUser = (found: StoredUser & { disabled?: unknown; lastLoginAt?: Date }): AdminUser => {
  const { id, email, createdAt, emailVerified } = toUser(found);
  return {
    id,
    email,
    createdAt,
    emailVerified,
    disabled: found.disabled !== undefined,
    mfa: { totp: (found.mfa as StoredMfa | undefined)?.totp !== undefined },
    lastLoginAt: found.lastLoginAt?.toISOString() ?? null,
  };
};

export type UsersService = ReturnType<typeof createUsersService>;

export function createUsersService({
  users,
  auth,
  sessions,
  throttling,
  passwordPolicy,
  emailVerification,
  mfa,
  presence,
  audit,
  requireVerifiedEmail,
  now,
}: {
  users: UsersCollection;
  auth: AuthClient;
  sessions: SessionService;
  throttling: Throttling;
  passwordPolicy: PasswordPolicy;
  emailVerification: Pick<EmailVerificationService, "afterSignUp">;
  mfa: Pick<MfaService, "challenge">;
  presence: Presence;
  audit: Pick<AuditService, "record" | "recordOnce">;
  /** REQUIRE_VERIFIED_EMAIL. */
  requireVerifiedEmail: boolean;
  /** Milliseconds since the epoch: when an account was made or disabled. */
  now: () => number;
}) {
  /**
   * The costliest hash stored, while seed-era bcrypt hashes (slower to check than our argon2id) remain: auth-api makes
   * every wrong password last as long as a check against it, so timing tells no kind of account, nor an unknown
   * address, from another. Found once, in the background from the start (a login rehashes its bcrypt hash, so they
   * only ever go; the floor lasts until the next start); a failed look-up is tried again by the next login.
   */
  const findTimingFloor = async () => {
    let costliest: { cost: number; hash: string } | undefined;
    for await (const { password } of users.find({ password: LEGACY_HASH }).select("+password").lean().cursor()) {
      const cost = Number(password.slice(4, 6));
      if (!costliest || cost > costliest.cost) costliest = { cost, hash: password };
    }
    return costliest?.hash;
  };
  let timingFloor: Promise<string | undefined> | undefined;
  const timingFloorHash = () => {
    timingFloor ??= findTimingFloor().catch(() => {
      timingFloor = undefined;
      return undefined;
    });
    return timingFloor;
  };
  void timingFloorHash();

  return {
    /** `client.ip` is the caller's address (see client-address), the bucket its sign-ups are counted in. */
    async signUp({ email, password }: SignUpRequest, requestId: string, client: Client): Promise<User> {
      using _hashing = await auth.admitHashing();
      await throttling.admit("signUp", client.ip);
      passwordPolicy.check(password, email, "password");
      const passwordHash = await auth.hashPassword(password, requestId);
      let user: User;
      try {
        user = toUser(
          await orUnavailable(
            new users({ email, passwordHash, emailVerified: false, createdAt: new Date(now()) }).save(),
          ),
        );
      } catch (error) {
        // The unique index decides between concurrent sign-ups of one address: no check-then-insert race.
        if (isDuplicateKey(error)) throw emailTaken();
        throw error;
      }
      await emailVerification.afterSignUp(user, requestId);
      return user;
    },

    /**
     * Checked in order, each before anything costlier: as many checks pending as auth-api holds (503), the throttles
     * (429), then the password. `deviceToken` is the body's or the cookie's. A success opens a session, or, while
     * TOTP is on, answers a challenge for the second step (mfa/): only a right password learns that TOTP is on.
     * Audited: a wrong password, a success (not a challenge: its second step is), and once per wait a refusal.
     */
    async logIn(
      { email, password }: LogInRequest,
      context: AuditContext,
      deviceToken: string | undefined,
    ): Promise<(LogInResponse & { deviceCookieMaxAgeMs: number }) | MfaChallenge> {
      const { requestId } = context;
      const client: Client = { ip: context.ip, userAgent: context.userAgent };
      using _hashing = await auth.admitHashing();
      const attempt = await throttling.passwordAttempt(email, { client: client.ip, deviceToken }).catch((error) => {
        // Refused until the wait since that failure has run: one event for all of its refusals.
        if (error instanceof WaitRefused)
          audit.recordOnce(`${email}:${error.rule}:${error.lastFailureAt.getTime()}`, "login.throttled", context, {
            email,
          });
        throw error;
      });
      const [pass, found] = await Promise.all([
        attempt.reserve(),
        // The only query that selects the hash (the schema has `select: false` on it).
        orUnavailable(users.findOne(userFilters.byEmail(email)).select("+password +sessions +mfa").lean()),
      ]);
      // An unknown address still costs one verification (auth-api checks a dummy hash when
      // `hashedPassword` is absent): the answer and its timing do not tell which addresses exist.
      const userId = String(found?._id ?? new Types.ObjectId());
      // The session's id is chosen now so that auth-api signs it into the access token (`sid`).
      const sessionId = crypto.randomUUID();
      const grant = await auth
        .issueToken(
          {
            userId,
            sessionId,
            password,
            hashedPassword: found?.password,
            timingFloorHash: await timingFloorHash(),
          },
          requestId,
        )
        .catch(async (error) => {
          await pass.release();
          throw error;
        });
      // The admission counted the attempt as a failure already.
      if (!found || !grant) {
        audit.record("login.failed", context, { userId: found ? String(found._id) : undefined, email });
        throw wrongPassword();
      }
      let verifiedHash = found.password;
      if (grant.rehashed) {
        // Conditional on the old hash, so a concurrent change or upgrade is not overwritten.
        const { matchedCount } = await orUnavailable(
          users.updateOne(
            { _id: found._id, passwordHash: verifiedHash },
            { $set: { passwordHash: grant.rehashed } },
            { translateAliases: true },
          ),
        );
        if (matchedCount === 1) verifiedHash = grant.rehashed;
      }
      // Only after the password proved right: a wrong one still gets the ordinary 401.
      if (found.disabled) {
        await throttling.forgetFailures(pass);
        throw accountDisabled();
      }
      if (requireVerifiedEmail && found.emailVerified !== true) {
        await throttling.forgetFailures(pass);
        throw emailNotVerified();
      }
      if (found.mfa?.totp) {
        // The password was no failure; the device token waits for the second step.
        const [challenge] = await Promise.all([
          mfa.challenge({ _id: found._id, mfa: found.mfa }, verifiedHash),
          throttling.forgetFailures(pass),
        ]);
        if (!challenge) throw wrongPassword();
        return challenge;
      }
      // Sent together: the session write decides (401 when a change or reset of the password landed meanwhile).
      const [session, device] = await Promise.allSettled([
        sessions.open(
          { userId: found._id, sessionId, existing: found.sessions ?? {}, client, verifiedHash, amr: ["pwd"] },
          grant,
        ),
        throttling.logInSucceeded(pass),
      ]);
      if (session.status === "rejected" || session.value === undefined) {
        // No session: nor a device token made for it.
        if (!pass.device && device.status === "fulfilled")
          await throttling.endDeviceToken(email, device.value.deviceToken);
        throw session.status === "rejected" ? session.reason : wrongPassword();
      }
      if (device.status === "rejected") throw device.reason;
      audit.record("login.succeeded", context, { userId: String(found._id), email });
      const { deviceToken: kept, maxAgeMs } = device.value;
      return { ...session.value, deviceToken: kept, deviceCookieMaxAgeMs: maxAgeMs };
    },

    /** The user a token was issued to, if the token is genuine, that user still exists and its session is live. */
    authenticate: (async (token, requestId) => {
      const caller = await auth.verifyAccessToken(token, requestId);
      if (!caller || !isValidObjectId(caller.userId)) return undefined;
      const { filter, projection } = callerQuery(caller);
      const found = await orUnavailable(users.findOne(filter, projection).lean());
      return found ? { user: toUser(found), caller } : undefined;
    }) satisfies Authenticate,

    /** Deletes the caller's account, once presence is proven, and ends all its sessions. */
    async remove(caller: Caller, current: User, { password, code }: Partial<Proof>, requestId: string): Promise<void> {
      if (password === undefined) throw passwordRequiredToDelete();
      await presence.prove(caller, current.email, { password, code }, requestId);
      await erase(current);
    },

    /** For an operator (admin/): the account at `id`, as DELETE /user deletes it, without a proof; false if none. */
    async removeById(id: string): Promise<boolean> {
      const found = await orUnavailable(users.findOne(userFilters.byId(id), { email: 1 }).lean());
      if (found) await erase({ id, email: found.email });
      return found !== null;
    },

    /** For an operator (admin/): an account as an operator sees it; undefined if none. */
    async find(id: string): Promise<AdminUser | undefined> {
      const found = await orUnavailable(users.findOne(userFilters.byId(id), ADMIN_PROJECTION).lean());
      return found ? toAdminUser(found) : undefined;
    },

    /** For an operator (admin/): accounts whose address starts with `prefix`, a page at a time, by address. */
    async search(prefix: string, limit: number, after: string | undefined): Promise<AdminUser[]> {
      const found = await orUnavailable(
        users.find(userFilters.byEmailPrefix(prefix, after), ADMIN_PROJECTION).sort({ email: 1 }).limit(limit).lean(),
      );
      return found.map(toAdminUser);
    },

    /**
     * For an operator (admin/): marks the account disabled, so no login opens a session (sessions.open's write
     * checks it); answers its address, or undefined if there is no such account.
     */
    async disable(id: string, reason: string): Promise<string | undefined> {
      const found = await orUnavailable(
        users.collection.findOneAndUpdate(
          userFilters.byId(id),
          { $set: { disabled: { at: new Date(now()), reason } } },
          { projection: { email: 1 } },
        ),
      );
      return found?.email;
    },

    /** For an operator (admin/): logins open sessions again; false if there is no such account. */
    async enable(id: string): Promise<boolean> {
      const { matchedCount } = await orUnavailable(users.updateOne(userFilters.byId(id), { $unset: { disabled: 1 } }));
      return matchedCount === 1;
    },
  };

  /** Its sessions end, then the document goes, then the throttling's memory of the address. */
  async function erase({ id, email }: { id: string; email: string }) {
    await sessions.endAll(id);
    await orUnavailable(users.deleteOne(userFilters.byId(id)));
    await throttling.forgetAccount(email);
  }
}
