import { type Static, t } from "elysia";

/** A TOTP code as authenticator apps show it. */
export const TotpCode = t.String({ pattern: "^[0-9]{6}$", description: "The 6 digits the authenticator app shows" });

export const Password = t.String({ minLength: 1, maxLength: 1024, description: "the account's current password" });

export const TotpEnrolmentRequest = t.Object({ password: Password });
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

export const EitherCode = t.String({
  minLength: 1,
  maxLength: 64,
  description: "a code from the authenticator app, or one of the recovery codes (used up)",
});

/** Proof of presence while TOTP is on: the password and a code. */
export const MfaProof = t.Object({ password: Password, code: EitherCode });
export type MfaProof = Static<typeof MfaProof>;

/** What a right password answers instead of tokens while TOTP is on. */
export const MfaChallenge = t.Object({
  mfaRequired: t.Literal(true),
  mfaToken: t.String({ description: "opaque; POST it to /login/mfa with a code, once" }),
  expiresIn: t.Integer({ description: "seconds the mfaToken stays valid" }),
  methods: t.Array(t.UnionEnum(["totp", "recoveryCode"])),
});
export type MfaChallenge = Static<typeof MfaChallenge>;

const MfaToken = t.String({ minLength: 1, maxLength: 256 });
export const MfaLogInRequest = t.Union([
  t.Object({ mfaToken: MfaToken, code: TotpCode }),
  t.Object({
    mfaToken: MfaToken,
    recoveryCode: t.String({ minLength: 1, maxLength: 64, description: "one of the recovery codes; used up" }),
  }),
]);
export type MfaLogInRequest = Static<typeof MfaLogInRequest>;

/** `GET /user`'s view of the second factor. */
export const MfaStatus = t.Object({
  totp: t.Boolean({ description: "whether a login asks for a code after the password" }),
  recoveryCodesLeft: t.Integer({ description: "unused recovery codes" }),
});
export type MfaStatus = Static<typeof MfaStatus>;
