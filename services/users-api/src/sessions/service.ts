import { unauthorized, type Logger, type Metrics } from "@accounts/shared";
import type { Types } from "mongoose";
import type { AuthClient } from "../auth-client/client.ts";
import type { TokenResponse } from "@accounts/shared";
import type { UsersConfig } from "../config.ts";
import { orUnavailable } from "../mongodb.ts";
import { tokenHash } from "../secret-token.ts";
import type { UsersCollection } from "../users/collection.ts";
import { type SessionFields, SESSIONS_PER_ACCOUNT, type SessionsCollection } from "./collection.ts";
import { newRefreshSecret, parseRefreshToken, refreshTokenOf, rotationQuery, unsealSuccessor } from "./queries.ts";
import type { Caller, Client, LogoutScope, SessionGrant, SessionList } from "./schemas.ts";

export type RevocationReason = "logout" | "reuse" | "password_change" | "deletion" | "expiry" | "limit";

export interface SessionServiceDeps {
  sessions: SessionsCollection;
  users: UsersCollection;
  auth: AuthClient;
  config: Pick<UsersConfig, "SESSION_MAX_AGE_SECONDS" | "SESSION_IDLE_SECONDS" | "REFRESH_REUSE_GRACE_SECONDS">;
  metrics: Metrics;
  logger: Logger;
  /** Milliseconds since the epoch; tests move it to reach expiries and the end of the grace window. */
  now: () => number;
}

// One answer for every refused refresh token: unknown, expired, revoked and reused look alike.
const refused = () => unauthorized("Invalid, expired or revoked refresh token");

const endOf = (session: Pick<SessionFields, "absoluteExpiresAt" | "idleExpiresAt">) =>
  Math.min(session.absoluteExpiresAt.getTime(), session.idleExpiresAt.getTime());

export type SessionService = ReturnType<typeof createSessionService>;

export function createSessionService({ sessions, users, auth, config, metrics, logger, now }: SessionServiceDeps) {
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

  /** Ends one session of `userId`: its refresh token first, then (same moment for the client) its access tokens. */
  async function end(sessionId: string, userId: string, reason: RevocationReason): Promise<boolean> {
    const { deletedCount } = await orUnavailable(sessions.deleteOne({ _id: sessionId, userId }));
    await orUnavailable(users.updateOne({ _id: userId }, { $pull: { sessionIds: sessionId } }));
    if (deletedCount > 0) countRevoked({ reason });
    return deletedCount > 0;
  }

  /**
   * Ends every session of `userId`, or every one but `except`: exactly those found, pulled from the user's list by
   * id, so neither a session revoked meanwhile comes back nor one a login adds meanwhile is left half-listed.
   */
  async function endAll(userId: string, reason: RevocationReason, except?: string): Promise<void> {
    const found = await orUnavailable(
      sessions.find(except === undefined ? { userId } : { userId, _id: { $ne: except } }, { _id: 1 }).lean(),
    );
    const ended = found.map(({ _id }) => _id);
    if (ended.length === 0) return;
    const [{ deletedCount }] = await Promise.all([
      orUnavailable(sessions.deleteMany({ _id: { $in: ended } })),
      orUnavailable(users.updateOne({ _id: userId }, { $pullAll: { sessionIds: ended } })),
    ]);
    if (deletedCount > 0) countRevoked({ reason }, deletedCount);
  }

  /**
   * Of the sessions a user document listed before a login (oldest first: `$addToSet` appends), ends those past either
   * expiry, and the oldest live ones past SESSIONS_PER_ACCOUNT with the login's new one. Without a TTL index
   * (FerretDB) this is what removes expired ones; with one (MongoDB) it removes the ids the index left behind.
   */
  async function trimListed(userId: Types.ObjectId, listed: readonly string[]): Promise<void> {
    if (listed.length === 0) return;
    const at = new Date(now());
    const live = await orUnavailable(
      sessions
        .find({ _id: { $in: listed }, absoluteExpiresAt: { $gt: at }, idleExpiresAt: { $gt: at } }, { _id: 1 })
        .lean(),
    );
    const liveIds = new Set(live.map(({ _id }) => _id));
    const expired = listed.filter((id) => !liveIds.has(id));
    const stillLive = listed.filter((id) => liveIds.has(id));
    const evicted = stillLive.slice(0, Math.max(0, stillLive.length - (SESSIONS_PER_ACCOUNT - 1)));
    const ended = [...expired, ...evicted];
    if (ended.length === 0) return;
    await orUnavailable(sessions.deleteMany({ _id: { $in: ended } }));
    await orUnavailable(users.updateOne({ _id: userId }, { $pullAll: { sessionIds: ended } }));
    if (expired.length > 0) countRevoked({ reason: "expiry" }, expired.length);
    if (evicted.length > 0) countRevoked({ reason: "limit" }, evicted.length);
  }

  return {
    /**
     * Records the session a login's access token (already signed with `sessionId`) belongs to and gives its
     * first refresh token. The session counts only while the account's stored password is still `verifiedHash`,
     * the one the login checked: a change or reset that landed meanwhile (it ends every session) refuses it with
     * 401, and it is removed. `alongside` are the login's other writes, which land before that decision.
     * `listed` are the session ids the user document held before: expired ones go, and the oldest beyond
     * SESSIONS_PER_ACCOUNT.
     */
    async open(
      {
        userId,
        sessionId,
        listed,
        client,
        verifiedHash,
        alongside,
      }: {
        userId: Types.ObjectId;
        sessionId: string;
        listed: readonly string[];
        client: Client;
        verifiedHash: string;
        alongside: Promise<unknown>;
      },
      access: TokenResponse,
    ): Promise<SessionGrant> {
      const at = now();
      const refreshToken = refreshTokenOf({ userId: String(userId), sessionId, generation: 0 }, newRefreshSecret());
      const session = {
        _id: sessionId,
        userId,
        refreshHash: tokenHash(refreshToken),
        generation: 0,
        createdAt: new Date(at),
        lastUsedAt: new Date(at),
        absoluteExpiresAt: new Date(at + config.SESSION_MAX_AGE_SECONDS * 1000),
        idleExpiresAt: new Date(at + config.SESSION_IDLE_SECONDS * 1000),
        userAgent: client.userAgent,
        ip: client.ip,
      };
      // Stored before it is listed: whatever ends the account's sessions after the listing finds it.
      await Promise.all([orUnavailable(sessions.create(session)), alongside]);
      const { matchedCount } = await orUnavailable(
        users.updateOne(
          { _id: userId, passwordHash: verifiedHash },
          { $addToSet: { sessionIds: sessionId } },
          { translateAliases: true },
        ),
      );
      if (matchedCount === 0) {
        // The account was deleted, or its password changed, while it logged in.
        await orUnavailable(sessions.deleteOne({ _id: sessionId }));
        throw unauthorized("Wrong email or password");
      }
      countCreated();
      await trimListed(userId, listed);
      return grant(access, { userId: String(userId), sessionId, refreshToken, at, endsAt: endOf(session) });
    },

    /**
     * New tokens for a refresh token. The token is checked (one read) before auth-api is asked to sign, so a forged
     * one costs no signature; the access token is signed before the rotation, because were auth-api down after
     * it, the client's retry with its old token would, past the grace window, look like reuse and end the session.
     */
    async refresh(refreshToken: string, requestId: string): Promise<SessionGrant> {
      const parts = parseRefreshToken(refreshToken);
      if (!parts) throw refused();
      const { userId, sessionId } = parts;
      const presented = tokenHash(refreshToken);
      const at = now();
      const read = () => orUnavailable(sessions.findOne({ _id: sessionId, userId }).lean());
      const sign = () => auth.issueSessionToken({ userId, sessionId }, requestId);
      let session = await read();
      let access: TokenResponse | undefined;
      if (session?.refreshHash === presented && endOf(session) > at) {
        access = await sign();
        const rotation = rotationQuery(refreshToken, at, config.SESSION_IDLE_SECONDS);
        const rotated = await orUnavailable(sessions.findOneAndUpdate(rotation.filter, rotation.update).lean());
        if (rotated) {
          countRefreshed();
          const endsAt = Math.min(rotated.absoluteExpiresAt.getTime(), at + config.SESSION_IDLE_SECONDS * 1000);
          return grant(access, { userId, sessionId, refreshToken: rotation.next, at, endsAt });
        }
        // A concurrent refresh of the same token rotated it first: this is the other tab, answered below.
        session = await read();
      }

      if (!session) throw refused();
      if (endOf(session) <= at) {
        await end(sessionId, userId, "expiry");
        throw refused();
      }
      if (presented === session.previousHash && at - session.rotatedAt!.getTime() <= graceMs) {
        // Two tabs: the token was rotated moments ago; answer with the session's current one, not a fork. A seal
        // the migration deleted (prepare.ts) leaves that tab to log in again; the session goes on.
        if (!session.successorSeal) throw refused();
        const current = refreshTokenOf(
          { userId, sessionId, generation: session.generation },
          unsealSuccessor(refreshToken, session.successorSeal),
        );
        if (tokenHash(current) !== session.refreshHash) throw refused();
        access ??= await sign();
        countRefreshed();
        return grant(access, { userId, sessionId, refreshToken: current, at, endsAt: endOf(session) });
      }
      if (Object.values(session.rotatedHashes ?? {}).includes(presented)) {
        await end(sessionId, userId, "reuse");
        logger.warn({ requestId, userId, sessionId }, "a rotated refresh token was presented again: session revoked");
      }
      throw refused();
    },

    /** The caller's live sessions, oldest first. */
    async list({ userId, sessionId }: Caller): Promise<SessionList> {
      const at = new Date(now());
      const found = await orUnavailable(
        sessions
          .find({ userId, absoluteExpiresAt: { $gt: at }, idleExpiresAt: { $gt: at } })
          .sort({ createdAt: 1 })
          .lean(),
      );
      return {
        sessions: found.map((session) => ({
          id: session._id,
          createdAt: session.createdAt.toISOString(),
          lastUsedAt: session.lastUsedAt.toISOString(),
          expiresAt: new Date(endOf(session)).toISOString(),
          userAgent: session.userAgent,
          ip: session.ip,
          current: session._id === sessionId,
        })),
      };
    },

    async logout(caller: Caller, scope: LogoutScope): Promise<void> {
      if (scope === "local") await end(caller.sessionId, caller.userId, "logout");
      else await endAll(caller.userId, "logout", scope === "others" ? caller.sessionId : undefined);
    },

    /** Ends one of the caller's sessions; false when `sessionId` is not one of them (whoever's it is). */
    revoke: (caller: Caller, sessionId: string) => end(sessionId, caller.userId, "logout"),

    /** After a password change: every session of the user but the one that changed it. */
    endOthers: (caller: Caller) => endAll(caller.userId, "password_change", caller.sessionId),

    /** After the account's deletion. */
    endAll: (userId: string) => endAll(userId, "deletion"),
    /** A password reset ends every session: whoever knew the old password is logged out everywhere. */
    endAllOnPasswordReset: (userId: string) => endAll(userId, "password_change"),
  };
}
