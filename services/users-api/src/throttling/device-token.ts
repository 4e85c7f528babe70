import { t } from "elysia";

/** The cookie browsers keep the device token in; sent back to `/login` only. */
export const DEVICE_COOKIE = "device_token";

/** How long a device token stays good after its last successful login. */
export const DEVICE_TOKEN_LIFETIME_MS = 90 * 24 * 60 * 60 * 1000;

/** 32 random bytes in base64url: 43 characters. */
export const DeviceToken = t.String({
  pattern: "^[A-Za-z0-9_-]{43}$",
  description: "From an earlier successful login on this device: exempts it from the delay others' failures caused",
});

/** `Set-Cookie` for `token`, kept `maxAgeMs`: script cannot read it, it travels over HTTPS only, never cross-site. */
export const deviceCookie = (token: string, maxAgeMs: number) =>
  `${DEVICE_COOKIE}=${token}; Path=/login; Max-Age=${Math.floor(maxAgeMs / 1000)}; HttpOnly; Secure; SameSite=Strict`;
