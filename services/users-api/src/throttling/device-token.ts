import { type Static, t } from "elysia";

/** The cookie browsers keep the device token in; sent back to `/login` only. */
export const DEVICE_COOKIE = "device_token";

/**
 * Device tokens an account keeps: a new one past this ends the oldest. A person's browsers and devices stay far
 * below it; a client that never sends its token back would otherwise add one on every login.
 */
export const DEVICE_TOKENS_PER_ACCOUNT = 20;

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

/** The device token a login presents: the body's, else the cookie's. */
export const presentedDeviceToken = (
  body: { deviceToken?: string },
  cookie: Record<string, { value?: unknown } | undefined>,
): string | undefined => {
  const presented = cookie[DEVICE_COOKIE]?.value;
  return body.deviceToken ?? (typeof presented === "string" ? presented : undefined);
};

/** What hands a device token out: login, and a password change or reset (which end the account's others). */
export const DeviceTokenGrant = t.Object({
  deviceToken: t.String({
    description: "Send it with later logins from this device (also set as an HttpOnly cookie for browsers)",
  }),
});
export type DeviceTokenGrant = Static<typeof DeviceTokenGrant>;
