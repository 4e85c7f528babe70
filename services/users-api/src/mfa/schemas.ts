import { type Static, t } from "elysia";

/** A TOTP code as authenticator apps show it. */
export const TotpCode = t.String({ pattern: "^[0-9]{6}$", description: "The 6 digits the authenticator app shows" });

export const TotpEnrolmentRequest = t.Object({ password: t.String({ minLength: 1, maxLength: 1024 }) });
export type TotpEnrolmentRequest = Static<typeof TotpEnrolmentRequest>;

export const TotpEnrolment = t.Object({
  secret: t.String({ description: "base32 (RFC 4648, no padding), for typing into an app that cannot scan" }),
  otpauthUri: t.String({
    description: "otpauth://totp/<issuer>:<email>?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30",
  }),
  qrCodeSvg: t.String({ description: "the URI as a QR code, an SVG document" }),
});
export type TotpEnrolment = Static<typeof TotpEnrolment>;

export const TotpConfirmation = t.Object({ code: TotpCode });
export type TotpConfirmation = Static<typeof TotpConfirmation>;

export const RecoveryCodes = t.Object({
  recoveryCodes: t.Array(t.String(), {
    description: "10 single-use codes, each for one login without the authenticator; shown only now",
  }),
});
export type RecoveryCodes = Static<typeof RecoveryCodes>;
