import type { AuthenticationMethods, Logger, Metrics, TokenResponse } from "@accounts/shared";
import type { Types } from "mongoose";
import type { AuditContext } from "../audit/schemas.ts";
import type { AuditService } from "../audit/service.ts";
import type { AuthClient } from "../auth-client/client.ts";
import type { UsersConfig } from "../config.ts";
import { orUnavailable } from "../mongodb.ts";
import { refreshTokenRefused } from "../problems.ts";
import { tokenHash } from "../secret-token.ts";
import type { UsersCollection } from "../users/collection.ts";
import { notDisabled } from "../users/disabled.ts";
import type { StoredSession, StoredSessions } from "./collection.ts";
import {
  hasSession,
  newSession,
  parseRefreshToken,
  refreshTokenOf,
  rotationQuery,
  sessionPath,
  unsealSuccessor,
} from "./queries.ts";
import type { Caller, Client, LogoutScope, SessionGrant, SessionList, SessionView } from "./schemas.ts";

/**
 * Live sessions an account keeps: a login past this ends the account's oldest. It bounds the user document (which
 * holds them) and what a client that logs in again and again, never logging out, leaves behind; a person's devices
 * and browsers stay far below it.
 */
export const SESSIONS_PER_ACCOUNT = 100;

export type RevocationReason =
  | "logout"
  | "reuse"
  | "password_change"
  | "mfa_change"
  | "email_change"
  | "deletion"
  | "expiry"
  | "limit"
  | "admin";

export interface SessionServiceDeps {
  users: UsersCollection;
  auth: AuthClient;
  config: Pick<UsersConfig, "SESSION_MAX_AGE_SECONDS" | "SESSION_IDLE_SECONDS" | "REFRESH_REUSE_GRACE_SECONDS">;
  metrics: Metrics;
  logger: Logger;
  audit: Pick<AuditService, "record">;
  /** Milliseconds since the epoch; tests move it to reach expiries and the end of the grace window. */
  now: () => number;
}

const endOf = (session: Pick<StoredSession, "absoluteExpiresAt" | "idleExpiresAt">) =>
  Math.min(session.absoluteExpiresAt.getTime(), session.idleExpiresAt.getTime());

/** A user's sessions by id, oldest first. */
const oldestFirst = (sessions: StoredSessions) =>
  Object.entries(sessions).toSorted(([, a], [, b]) => a.createdAt.getTime() - b.createdAt.getTime());

export type SessionService = ReturnType<typeof createSessionService>;

export function createSessionService({ users, auth, config, metrics, logger, audit, now }: SessionServiceDeps) {
  const countCreated = metrics.counter("sessions_created_total", "Sessions started by a login");
  const countRefreshed = metrics.counter("sessions_refreshed_total", "Refreshes answered with new tokens");
  const countRevoked = metrics.counter("sessions_revoked_total", "Sessions ended, by reason", ["reason"]);
  const graceMs = config.REFRESH_REUSE_GRACE_SECONDS * 1000;

  const grant = (
    access: TokenResponse,
    {
      userId,
      sessionId,
      refreshToken,
      at,
      endsAt,
    }: { userId: string; sessionId: string; refreshToken: string; at: number; endsAt: number },
  ) => ({
    token: access.token,
    tokenType: access.tokenType,
    expiresIn: access.expiresIn,
    userId,
    sessionId,
    refreshToken,
    refreshExpiresIn: Math.floor((endsAt - at) / 1000),
  });

  /** Ends one session of `userId`: its refresh token and (the same write) its access tokens. */
  async function end(sessionId: string, userId: string, reason: RevocationReason): Promise<boolean> {
    const { modifiedCount } = await orUnavailable(
      users.updateOne({ _id: userId, ...hasSession(sessionId) }, { $unset: { [sessionPath(sessionId)]: 1 } }),
    );
    if (modifiedCount > 0) countRevoked({ reason });
    return modifiedCount > 0;
  }

  /**
   * Ends every session of `userId`, or every one but `except`. All of them go in one write, so a login that lands
   * meanwhile goes too; all but one are ended by id, as read.
   */
  async function endAll(userId: string, reason: RevocationReason, except?: string): Promise<void> {
    const found = await orUnavailable(users.findById(userId, { sessions: 1 }).lean());
    const ended = Object.keys(found?.sessions ?? {}).filter((id) => id !== except);
    if (ended.length === 0) return;
    const unset =
      except === undefined ? { sessions: 1 } : Object.fromEntries(ended.map((id) => [sessionPath(id), 1] as const));
    await orUnavailable(users.updateOne({ _id: userId }, { $unset: unset }));
    countRevoked({ reason }, ended.length);
  }

  /**
   * Of a user's sessions before a login (oldest first), those past either expiry, and the oldest live ones past
   * SESSIONS_PER_ACCOUNT with the login's new one: the login's write removes them.
   */
  function toTrim(existing: StoredSessions, at: number): { expired: string[]; evicted: string[] } {
    const byAge = oldestFirst(existing);
    const expired = byAge.filter(([, session]) => endOf(session) <= at).map(([id]) => id);
    const live = byAge.filter(([, session]) => endOf(session) > at).map(([id]) => id);
    return { expired, evicted: live.slice(0, Math.max(0, live.length - (SESSIONS_PER_ACCOUNT - 1))) };
  }

  /** A user's live sessions, oldest first, as GET /sessions shows them (without `current`). */
  async function liveSessions(userId: string): Promise<Omit<SessionView, "current">[]> {
    const at = now();
    const found = await orUnavailable(users.findById(userId, { sessions: 1 }).lean());
    return oldestFirst(found?.sessions ?? {})
      .filter(([, session]) => endOf(session) > at)
      .map(([id, session]) => ({
        id,
        createdAt: session.createdAt.toISOString(),
        lastUsedAt: session.lastUsedAt.toISOString(),
        expiresAt: new Date(endOf(session)).toISOString(),
        userAgent: session.userAgent,
        ip: session.ip,
      }));
  }

  return {
    /**
     * Stores the session a login's access token (already signed with `sessionId`) belongs to and gives its first
     * refresh token, in one write conditional on the account's password still being `verifiedHash`, the one the
     * login checked, and on the account not being disabled: a change, reset or disable that landed meanwhile (each
     * ends every session) refuses it (undefined). The same write records the login's time (`lastLoginAt`).
     * `existing` are the user's sessions as the login read them: expired ones go, and the oldest beyond
     * SESSIONS_PER_ACCOUNT. `alongside` is what the same write must also hold and change: a second factor's code,
     * used once (mfa/).
     */
    async open(
      {
        userId,
        sessionId,
        existing,
        client,
        verifiedHash,
        amr,
        alongside,
      }: {
        userId: Types.ObjectId;
        sessionId: string;
        existing: StoredSessions;
        client: Client;
        verifiedHash: string;
        amr: AuthenticationMethods;
        alongside?: { filter: object; update: { $set?: object; $unset?: object; $pull?: object } };
      },
      access: TokenResponse,
    ): Promise<SessionGrant | undefined> {
      const at = now();
      const { refreshToken, session } = newSession(
        { userId: String(userId), sessionId, amr, ...client },
        { at, maxAgeSeconds: config.SESSION_MAX_AGE_SECONDS, idleSeconds: config.SESSION_IDLE_SECONDS },
      );
      const { expired, evicted } = toTrim(existing, at);
      const unset = {
        ...Object.fromEntries([...expired, ...evicted].map((id) => [sessionPath(id), 1])),
        ...alongside?.update.$unset,
      };
      const { matchedCount } = await orUnavailable(
        users.updateOne(
          { _id: userId, passwordHash: verifiedHash, ...notDisabled, ...alongside?.filter },
          {
            $set: { [sessionPath(sessionId)]: session, lastLoginAt: session.createdAt, ...alongside?.update.$set },
            ...(Object.keys(unset).length > 0 && { $unset: unset }),
            ...(alongside?.update.$pull && { $pull: alongside.update.$pull }),
          },
          { translateAliases: true },
        ),
      );
      // The account was deleted, disabled, or its password changed, while it logged in (or `alongside` no longer holds).
      if (matchedCount === 0) return undefined;
      countCreated();
      if (expired.length > 0) countRevoked({ reason: "expiry" }, expired.length);
      if (evicted.length > 0) countRevoked({ reason: "limit" }, evicted.length);
      return grant(access, { userId: String(userId), sessionId, refreshToken, at, endsAt: endOf(session) });
    },

    /**
     * New tokens for a refresh token: one conditional write rotates it and answers the session as it was, then
     * auth-api signs. Were auth-api down then, the session is put back as it was, so the client's retry with the
     * same token works (and does not, past the grace window, look like reuse). Only when the write matches nothing
     * is the session read, to tell the other tab, reuse and expiry apart: a forged token costs no signature. Reuse
     * is audited, as the service's act (`system`) from the client that presented the token.
     */
    async refresh(refreshToken: string, context: AuditContext): Promise<SessionGrant> {
      const { requestId } = context;
      const parts = parseRefreshToken(refreshToken);
      if (!parts) throw refreshTokenRefused();
      const { userId, sessionId } = parts;
      const presented = tokenHash(refreshToken);
      const at = now();
      const path = sessionPath(sessionId);
      const sign = (amr: AuthenticationMethods = ["pwd"]) =>
        auth.issueSessionToken({ userId, sessionId, amr }, requestId);
      const rotation = rotationQuery(refreshToken, at, config.SESSION_IDLE_SECONDS);
      const { projection } = rotation;
      const rotated = await orUnavailable(
        users.collection.findOneAndUpdate(rotation.filter, rotation.update, { projection, returnDocument: "before" }),
      );
      const before = (rotated?.sessions as StoredSessions | undefined)?.[sessionId];
      if (before) {
        const access = await sign(before.amr).catch(async (error) => {
          await orUnavailable(
            users.updateOne(
              { _id: userId, [`${path}.refreshHash`]: tokenHash(rotation.next) },
              { $set: { [path]: before } },
            ),
          );
          throw error;
        });
        countRefreshed();
        const endsAt = Math.min(before.absoluteExpiresAt.getTime(), at + config.SESSION_IDLE_SECONDS * 1000);
        return grant(access, { userId, sessionId, refreshToken: rotation.next, at, endsAt });
      }

      const session = (
        await orUnavailable(
          users.findOne({ _id: userId, ...hasSession(sessionId) }, projection).lean<{ sessions?: StoredSessions }>(),
        )
      )?.sessions?.[sessionId];
      if (!session) throw refreshTokenRefused();
      if (endOf(session) <= at) {
        await end(sessionId, userId, "expiry");
        throw refreshTokenRefused();
      }
      if (presented === session.previousHash && at - session.rotatedAt!.getTime() <= graceMs) {
        // Two tabs: the token was rotated moments ago; answer with the session's current one, not a fork. A seal
        // the migration deleted (prepare.ts) leaves that tab to log in again; the session goes on.
        if (!session.successorSeal) throw refreshTokenRefused();
        const current = refreshTokenOf(
          { userId, sessionId, generation: session.generation },
          unsealSuccessor(refreshToken, session.successorSeal),
        );
        if (tokenHash(current) !== session.refreshHash) throw refreshTokenRefused();
        const access = await sign(session.amr);
        countRefreshed();
        return grant(access, { userId, sessionId, refreshToken: current, at, endsAt: endOf(session) });
      }
      // Sessions moved from the first layout keep full hashes in their ring; both are prefixes of the presented one.
      if (Object.values(session.rotatedHashes ?? {}).some((kept) => presented.startsWith(kept))) {
        await end(sessionId, userId, "reuse");
        audit.record("session.refresh_token_reused", { ...context, actor: "system" }, { userId });
        logger.warn({ requestId, userId, sessionId }, "a rotated refresh token was presented again: session revoked");
      }
      throw refreshTokenRefused();
    },

    /** The caller's live sessions, oldest first. */
    async list({ userId, sessionId }: Caller): Promise<SessionList> {
      return {
        sessions: (await liveSessions(userId)).map((session) => ({ ...session, current: session.id === sessionId })),
      };
    },

    /** A user's live sessions, for an operator (admin/). */
    listOf: liveSessions,

    async logout(caller: Caller, scope: LogoutScope): Promise<void> {
      if (scope === "local") await end(caller.sessionId, caller.userId, "logout");
      else await endAll(caller.userId, "logout", scope === "others" ? caller.sessionId : undefined);
    },

    /** Ends one of the caller's sessions; false when `sessionId` is not one of them (whoever's it is). */
    revoke: (caller: Caller, sessionId: string) => end(sessionId, caller.userId, "logout"),

    /** After a password change: every session of the user but the one that changed it. */
    endOthers: (caller: Caller) => endAll(caller.userId, "password_change", caller.sessionId),
    /** After the second factor changed: every session of the user but the one that changed it. */
    endOthersOnMfaChange: (caller: Caller) => endAll(caller.userId, "mfa_change", caller.sessionId),

    /** After the account's deletion. */
    endAll: (userId: string) => endAll(userId, "deletion"),
    /** A password reset ends every session: whoever knew the old password is logged out everywhere. */
    endAllOnPasswordReset: (userId: string) => endAll(userId, "password_change"),
    /** A confirmed or undone address change ends every session: neither request carries a session to keep. */
    endAllOnEmailChange: (userId: string) => endAll(userId, "email_change"),
    /** An operator's logout, disable or second-factor reset (admin/). */
    endAllByAdmin: (userId: string) => endAll(userId, "admin"),
  };
}
