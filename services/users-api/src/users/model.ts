import { t, type Static } from "elysia";

const email = t.String({ format: "email", maxLength: 254, examples: ["ada@example.com"] });

// Emails are normalized (trimmed, lower-cased) before validation, see the controller's `transform`.
export const signUpCredentials = t.Object({
  email,
  // NIST 800-63B: at least 8, and long passphrases welcome; the cap bounds hashing work.
  password: t.String({ minLength: 8, maxLength: 1024 }),
});

// Looser than sign-up on purpose: the seed let 7-character passwords and addresses our format check
// refuses through, and those accounts must still log in.
export const logInCredentials = t.Object({
  email: t.String({ minLength: 1, maxLength: 254, examples: ["ada@example.com"] }),
  password: t.String({ minLength: 1, maxLength: 1024 }),
});
export type Credentials = Static<typeof logInCredentials>;

export const user = t.Object({
  id: t.String(),
  // Not `format: "email"`: seed-era addresses such as `admin@localhost` fail that check, and a response
  // that fails its schema becomes a 500. The format is enforced where addresses come in, at sign-up.
  email: t.String(),
  createdAt: t.String({ format: "date-time" }),
});
export type User = Static<typeof user>;

export const userEnvelope = t.Object({ user });

export const deletion = t.Optional(
  t.Object({ email: t.Optional(t.String({ description: "if given, must be the token's user" })) }),
);
