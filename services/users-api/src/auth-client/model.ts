import { t, type Static } from "elysia";

// What users-api reads from auth-api's answers; anything else there is ignored.
export const hashedPassword = t.Object({ hashed: t.String() });

export const tokenGrant = t.Object({
  token: t.String(),
  tokenType: t.Literal("Bearer"),
  expiresIn: t.Integer(),
  rehashed: t.Optional(t.String()),
});
export type TokenGrant = Static<typeof tokenGrant>;
