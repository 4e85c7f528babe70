import { t, type Static } from "elysia";

/** What login and refresh answer: an access token, and the refresh token that gets the next one. */
export const SessionGrant = t.Object({
  token: t.String({ description: "EdDSA JWT for `Authorization: Bearer`, carrying the session id as `sid`" }),
  tokenType: t.Literal("Bearer"),
  expiresIn: t.Integer({ description: "seconds until the access token expires" }),
  userId: t.String(),
  sessionId: t.String(),
  refreshToken: t.String({ description: "opaque; POST it to /refresh once, it is replaced by a new one each time" }),
  refreshExpiresIn: t.Integer({ description: "seconds until the session ends unless refreshed sooner" }),
});
export type SessionGrant = Static<typeof SessionGrant>;

export const RefreshRequest = t.Object({ refreshToken: t.String({ minLength: 1, maxLength: 512 }) });
export type RefreshRequest = Static<typeof RefreshRequest>;

export const LogoutScope = t.UnionEnum(["local", "others", "global"], {
  default: "local",
  description: "local: this session; others: every other session of the user; global: all of them",
});
export type LogoutScope = Static<typeof LogoutScope>;

export const LogoutRequest = t.Optional(t.Object({ scope: t.Optional(LogoutScope) }));
export type LogoutRequest = Static<typeof LogoutRequest>;

export const SessionView = t.Object({
  id: t.String(),
  createdAt: t.String({ format: "date-time" }),
  lastUsedAt: t.String({ format: "date-time", description: "the last login or refresh" }),
  expiresAt: t.String({ format: "date-time", description: "when it ends unless refreshed (never past 30 days)" }),
  userAgent: t.Union([t.String(), t.Null()]),
  ip: t.String({ description: "the client's address as users-api counts it (an IPv6 client by its /64)" }),
  current: t.Boolean({ description: "whether this is the session of the token that asked" }),
});
export type SessionView = Static<typeof SessionView>;

export const SessionList = t.Object({ sessions: t.Array(SessionView) });
export type SessionList = Static<typeof SessionList>;

export const SessionParams = t.Object({
  id: t.String({
    pattern: "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
    description: "a session id",
  }),
});
export type SessionParams = Static<typeof SessionParams>;

/** Who is making a request, as a session records it: `ip` is the client's address bucket (see client-address). */
export interface Client {
  userAgent: string | null;
  ip: string;
}

/** A bearer token's user and session, after the one query that checks both. */
export interface Caller {
  userId: string;
  sessionId: string;
}
