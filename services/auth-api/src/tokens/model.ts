import { t, type Static } from "elysia";

const UserId = t.String({ minLength: 1, maxLength: 128, description: "The user's id in users-api" });

const SessionId = t.String({
  minLength: 1,
  maxLength: 128,
  description: "The users-api session the token belongs to (`sid`)",
});

export const TokenRequest = t.Object({
  userId: UserId,
  sessionId: t.Optional(SessionId),
  // Any length up to the cap: accounts from before the 8-character rule must still log in.
  password: t.String({ minLength: 1, maxLength: 1024 }),
  hashedPassword: t.Optional(
    t.String({
      minLength: 1,
      maxLength: 512,
      description: "Stored hash; omit when no such user exists (answers 401 in equal time)",
    }),
  ),
});
export type TokenRequest = Static<typeof TokenRequest>;

export const TokenResponse = t.Object({
  token: t.String(),
  tokenType: t.Literal("Bearer"),
  expiresIn: t.Integer({ description: "Seconds until the token expires" }),
  rehashed: t.Optional(
    t.String({ description: "A fresh argon2id hash to store, when the stored one was bcrypt or weaker" }),
  ),
});
export type TokenResponse = Static<typeof TokenResponse>;

export const SessionTokenRequest = t.Object({ userId: UserId, sessionId: SessionId });
export type SessionTokenRequest = Static<typeof SessionTokenRequest>;

export const VerifyRequest = t.Object({ token: t.String({ minLength: 1, maxLength: 4096 }) });
export type VerifyRequest = Static<typeof VerifyRequest>;

export const Claims = t.Object({
  userId: UserId,
  sub: t.String(),
  iss: t.String(),
  aud: t.Union([t.String(), t.Array(t.String())]),
  iat: t.Integer(),
  exp: t.Integer(),
  jti: t.String(),
  sid: t.Optional(t.String()),
});
export type Claims = Static<typeof Claims>;
