import { type Static, t } from "elysia";

// Loose on purpose: a token of any other shape is simply unknown, and gets the same answer as one that expired.
export const OneTimeToken = t.String({ minLength: 1, maxLength: 256, description: "The token from the email's link" });

export const VerifyEmailRequest = t.Object({ token: OneTimeToken });
export type VerifyEmailRequest = Static<typeof VerifyEmailRequest>;

export const MailAccepted = t.Object({ message: t.String() });
export type MailAccepted = Static<typeof MailAccepted>;
