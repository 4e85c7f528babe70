import { Secret, TOTP } from "otpauth";
import QRCode from "qrcode";

/** RFC 6238 as every authenticator app reads it: SHA-1, 6 digits, 30-second steps. */
export const TOTP_PERIOD_SECONDS = 30;
const DIGITS = 6;
const ALGORITHM = "SHA1";
/** 160 random bits, RFC 4226's recommended secret length. */
const SECRET_BYTES = 20;

const totpOf = (secret: string, issuer = "", label = "") =>
  new TOTP({
    issuer,
    label,
    algorithm: ALGORITHM,
    digits: DIGITS,
    period: TOTP_PERIOD_SECONDS,
    secret: Secret.fromBase32(secret),
  });

/** A new secret, base32 (RFC 4648, no padding). */
export const newTotpSecret = () => new Secret({ size: SECRET_BYTES }).base32.replace(/=+$/, "");

/** What an authenticator app scans: the `otpauth://` URI, and it as a QR code in SVG, made here (no network). */
export async function totpEnrolment(secret: string, issuer: string, email: string) {
  const otpauthUri = totpOf(secret, issuer, email).toString();
  return { otpauthUri, qrCodeSvg: await QRCode.toString(otpauthUri, { type: "svg", errorCorrectionLevel: "M" }) };
}

/**
 * The time step `code` is right for at `at` (milliseconds), allowing one step of clock skew either way, when that step
 * is after `lastStep` (the last one this account used): a code is accepted at most once. undefined otherwise.
 */
export function acceptedStep(secret: string, code: string, at: number, lastStep = -1): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const delta = totpOf(secret).validate({ token: code, timestamp: at, window: 1 });
  if (delta === null) return undefined;
  const step = Math.floor(at / 1000 / TOTP_PERIOD_SECONDS) + delta;
  return step > lastStep ? step : undefined;
}
