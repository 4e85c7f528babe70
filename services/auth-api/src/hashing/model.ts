import { t, type Static } from "elysia";

/** Passwords as NIST 800-63B allows them: 8 to 1024 characters. */
export const NewPassword = t.String({ minLength: 8, maxLength: 1024 });

export const HashRequest = t.Object({ password: NewPassword });
export type HashRequest = Static<typeof HashRequest>;

export const HashResponse = t.Object({ hashed: t.String({ description: "argon2id hash in PHC string format" }) });
export type HashResponse = Static<typeof HashResponse>;
