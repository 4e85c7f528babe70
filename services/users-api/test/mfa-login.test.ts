// Logins, refreshes and sensitive actions of accounts with TOTP on, through app.handle, with the real auth-api,
// database and SMTP server, and a clock the tests move (30-second steps; never slept). Codes come from ./totp.ts.
import { describe, expect, test } from "bun:test";
import { Types } from "mongoose";
import { generateEncryptionKey } from "@accounts/shared/secrets";
import { encryptionKey, type RequestOptions, useUsersApi } from "./support.ts";
import { totpCode } from "./totp.ts";

const password = "correct horse battery";
const wrong = "wrong password!";
const STEP_MS = 30_000;

const api = useUsersApi("users_mfa_login", {
  env: {
    LOGINS_PER_CLIENT_PER_MINUTE: "1000",
    SIGNUPS_PER_CLIENT_PER_HOUR: "1000",
    REFRESHES_PER_CLIENT_PER_MINUTE: "1000",
  },
  newHourEachTest: true,
});
const { clock } = api;
/** The app the tests call: the suite's, unless a test sets one built with other settings (and unsets it after). */
let app: typeof api.app | undefined;
const call = (method: string, path: string, options?: RequestOptions) => api.call(method, path, options, app);

const claims = (token: string) => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString());
const storedUser = (userId: string) => api.db.collection("users").findOne({ _id: new Types.ObjectId(userId) });

let accounts = 0;
/** A new account with TOTP on, its session (`token`), secret and recovery codes; the clock a step past confirming. */
async function withTotp() {
  const email = `mfa-login-${++accounts}@example.com`;
  expect((await call("POST", "/signup", { body: { email, password } })).status).toBe(201);
  await api.mailbox.next(email);
  const { token, userId } = (await call("POST", "/login", { body: { email, password } })).body;
  const { secret } = (await call("POST", "/mfa/totp", { token, body: { password } })).body;
  const confirmed = await call("POST", "/mfa/totp/confirm", { token, body: { code: totpCode(secret, clock.now) } });
  expect(confirmed.status).toBe(200);
  await api.mailbox.next(email);
  clock.now += STEP_MS;
  return {
    email,
    token: token as string,
    userId: userId as string,
    secret: secret as string,
    recoveryCodes: confirmed.body.recoveryCodes as string[],
  };
}

const firstStep = async (email: string, secret = password) =>
  call("POST", "/login", { body: { email, password: secret } });
const mfaTokenOf = async (email: string) => {
  const { status, body } = await firstStep(email);
  expect(status).toBe(200);
  return body.mfaToken as string;
};
const secondStep = (body: { mfaToken: string; code?: string; recoveryCode?: string }) =>
  call("POST", "/login/mfa", { body });

describe("two-step login", () => {
  test("a right password answers an mfaToken and no session; a right code then answers login's shape, amr pwd+otp", async () => {
    const { email, userId, secret } = await withTotp();
    const sessionsBefore = Object.keys((await storedUser(userId))?.sessions ?? {});
    const first = await firstStep(email);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      mfaRequired: true,
      mfaToken: expect.stringMatching(/^[0-9a-f]{24}\.[0-9a-f-]{36}\.[\w-]{43}$/),
      expiresIn: 300,
      methods: ["totp", "recoveryCode"],
    });
    expect(first.headers.get("set-cookie")).toBeNull();
    expect(Object.keys((await storedUser(userId))?.sessions ?? {})).toEqual(sessionsBefore);
    // Stored hashed only.
    expect(JSON.stringify(await storedUser(userId))).not.toContain(first.body.mfaToken.split(".")[2]);

    const second = await secondStep({ mfaToken: first.body.mfaToken, code: totpCode(secret, clock.now) });
    expect(second.status).toBe(200);
    expect(second.body).toEqual({
      token: expect.any(String),
      tokenType: "Bearer",
      expiresIn: 900,
      userId,
      sessionId: expect.any(String),
      refreshToken: expect.any(String),
      refreshExpiresIn: 7 * 24 * 3600,
      deviceToken: expect.stringMatching(/^[\w-]{43}$/),
    });
    expect(second.headers.get("set-cookie")).toStartWith(`device_token=${second.body.deviceToken};`);
    expect(claims(second.body.token).amr).toEqual(["pwd", "otp"]);
    const me = await call("GET", "/user", { token: second.body.token });
    expect(me.body.user.mfa).toEqual({ totp: true, recoveryCodesLeft: 10 });
    // The mfaToken was used.
    clock.now += STEP_MS;
    expect((await secondStep({ mfaToken: first.body.mfaToken, code: totpCode(secret, clock.now) })).status).toBe(401);
  });

  test("a wrong password is the same 401 as for an account without TOTP: nothing tells that TOTP is on", async () => {
    const { email } = await withTotp();
    const plain = `plain-${accounts}@example.com`;
    await call("POST", "/signup", { body: { email: plain, password } });
    await api.mailbox.next(plain);
    const [withTotpAnswer, plainAnswer] = [await firstStep(email, wrong), await firstStep(plain, wrong)];
    expect(withTotpAnswer.status).toBe(401);
    expect(withTotpAnswer.body).toEqual(plainAnswer.body);
  });

  test("a code is accepted once: replay in its step, and an older code across the ±1 window, are refused", async () => {
    const { email, secret } = await withTotp();
    const code = totpCode(secret, clock.now);
    expect((await secondStep({ mfaToken: await mfaTokenOf(email), code })).status).toBe(200);
    // The same code on a new login, in the same step and in the next (still within the window): refused.
    expect((await secondStep({ mfaToken: await mfaTokenOf(email), code })).status).toBe(401);
    clock.now += STEP_MS;
    expect((await secondStep({ mfaToken: await mfaTokenOf(email), code })).status).toBe(401);
    // The previous step's code is within ±1 but not after the last step used.
    expect(
      (await secondStep({ mfaToken: await mfaTokenOf(email), code: totpCode(secret, clock.now - 2 * STEP_MS) })).status,
    ).toBe(401);
    // The current step's code is new: accepted (the one before was from the step now past).
    expect((await secondStep({ mfaToken: await mfaTokenOf(email), code: totpCode(secret, clock.now) })).status).toBe(
      200,
    );
    // One step of skew either way is accepted for a new step.
    clock.now += 3 * STEP_MS;
    expect(
      (await secondStep({ mfaToken: await mfaTokenOf(email), code: totpCode(secret, clock.now + STEP_MS) })).status,
    ).toBe(200);
  });

  test("concurrent second steps with one code: exactly one session, whether they share an mfaToken or not", async () => {
    const { email, userId, secret } = await withTotp();
    const code = totpCode(secret, clock.now);
    const shared = await mfaTokenOf(email);
    // Four in all, within the account's free failures (each attempt counts as one until it succeeds).
    const own = await Promise.all(Array.from({ length: 2 }, () => mfaTokenOf(email)));
    const sessionsBefore = Object.keys((await storedUser(userId))?.sessions ?? {}).length;
    const answers = await Promise.all([
      ...Array.from({ length: 2 }, () => secondStep({ mfaToken: shared, code })),
      ...own.map((mfaToken) => secondStep({ mfaToken, code })),
    ]);
    expect(answers.map(({ status }) => status).toSorted()).toEqual([200, 401, 401, 401]);
    expect(Object.keys((await storedUser(userId))?.sessions ?? {})).toHaveLength(sessionsBefore + 1);
  });

  test("five wrong codes kill an mfaToken, even for the right code next", async () => {
    const { email, secret } = await withTotp();
    const mfaToken = await mfaTokenOf(email);
    const right = totpCode(secret, clock.now);
    const wrongCode = right === "000000" ? "111111" : "000000";
    for (let failure = 1; failure <= 5; failure++)
      expect((await secondStep({ mfaToken, code: wrongCode })).status).toBe(401);
    expect((await secondStep({ mfaToken, code: right })).status).toBe(401);
  });

  test("an expired mfaToken is refused; an unknown one too", async () => {
    const { email, secret } = await withTotp();
    const mfaToken = await mfaTokenOf(email);
    clock.now += 301_000;
    expect((await secondStep({ mfaToken, code: totpCode(secret, clock.now) })).status).toBe(401);
    const [userId, challengeId] = mfaToken.split(".");
    const madeUp = `${userId}.${challengeId}.${"A".repeat(43)}`;
    expect((await secondStep({ mfaToken: madeUp, code: totpCode(secret, clock.now) })).status).toBe(401);
    expect((await secondStep({ mfaToken: "not-a-token", code: totpCode(secret, clock.now) })).status).toBe(401);
  });

  test("a password change voids every waiting mfaToken", async () => {
    const { email, token, secret } = await withTotp();
    const mfaToken = await mfaTokenOf(email);
    const changed = await call("PUT", "/user/password", {
      token,
      body: { currentPassword: password, newPassword: "a whole new password", code: totpCode(secret, clock.now) },
    });
    expect(changed.status).toBe(200);
    clock.now += STEP_MS;
    expect((await secondStep({ mfaToken, code: totpCode(secret, clock.now) })).status).toBe(401);
  });

  test("code guessing is throttled per account, apart from passwords: a stranger's wrong passwords do not block the owner's code", async () => {
    const { email, secret } = await withTotp();
    const ownersToken = await mfaTokenOf(email);
    // A stranger's password guesses: the account's wait starts; a password login now waits.
    for (let failure = 1; failure <= 5; failure++) expect((await firstStep(email, wrong)).status).toBe(401);
    expect((await firstStep(email)).status).toBe(429);
    // The owner, past the password already, completes with the code.
    expect((await secondStep({ mfaToken: ownersToken, code: totpCode(secret, clock.now) })).status).toBe(200);

    // Someone with the password guessing codes: five wrong ones, then the account's code count makes them wait.
    clock.now += 3_600_000;
    const guesser = await mfaTokenOf(email);
    const right = totpCode(secret, clock.now);
    const wrongCode = right === "000000" ? "111111" : "000000";
    for (let failure = 1; failure <= 5; failure++)
      expect((await secondStep({ mfaToken: guesser, code: wrongCode })).status).toBe(401);
    const next = await mfaTokenOf(email);
    const waiting = await secondStep({ mfaToken: next, code: right });
    expect(waiting.status).toBe(429);
    expect(Number(waiting.headers.get("retry-after"))).toBeGreaterThan(0);
    // Passwords are counted apart: the password step still answers.
    expect((await firstStep(email)).status).toBe(200);
    // After the wait, the right code goes through.
    clock.now += 2_000;
    expect((await secondStep({ mfaToken: next, code: right })).status).toBe(200);
  });
});

describe("per client", () => {
  test("a login's second steps and sensitive actions share the client's proof window", async () => {
    const { email, token, secret } = await withTotp();
    app = api.build({ env: { PROOFS_PER_CLIENT_PER_MINUTE: "3" } }).app;
    try {
      clock.now += 60_000;
      const mfaToken = await mfaTokenOf(email);
      const wrongCode = totpCode(secret, clock.now) === "000000" ? "111111" : "000000";
      expect((await secondStep({ mfaToken, code: wrongCode })).status).toBe(401);
      expect((await call("DELETE", "/user", { token, body: { password: wrong } })).status).toBe(403);
      expect((await call("POST", "/mfa/recovery-codes", { token, body: { password: wrong, code: "1" } })).status).toBe(
        403,
      );
      // The window is full: the right code waits too, before anything is checked.
      const refused = await secondStep({ mfaToken, code: totpCode(secret, clock.now) });
      expect(refused.status).toBe(429);
      expect((await call("DELETE", "/user", { token, body: { password } })).status).toBe(429);
      clock.now += 60_000;
      expect((await secondStep({ mfaToken: await mfaTokenOf(email), code: totpCode(secret, clock.now) })).status).toBe(
        200,
      );
    } finally {
      app = undefined;
    }
  });
});

describe("recovery codes", () => {
  test("single use; stored hashed; the login says how many are left once 2 or fewer", async () => {
    const { email, userId, recoveryCodes } = await withTotp();
    const stored = JSON.stringify((await storedUser(userId))?.mfa);
    for (const code of recoveryCodes) expect(stored).not.toContain(code.replaceAll("-", ""));
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    for (const code of recoveryCodes) expect(code).toMatch(/^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$/);

    const used = await secondStep({ mfaToken: await mfaTokenOf(email), recoveryCode: recoveryCodes[0]! });
    expect(used.status).toBe(200);
    expect(claims(used.body.token).amr).toEqual(["pwd", "otp"]);
    expect(used.body.recoveryCodesLeft).toBeUndefined();
    expect((await secondStep({ mfaToken: await mfaTokenOf(email), recoveryCode: recoveryCodes[0]! })).status).toBe(401);
    for (const [index, code] of recoveryCodes.slice(1, 8).entries()) {
      const { body } = await secondStep({ mfaToken: await mfaTokenOf(email), recoveryCode: code.toUpperCase() });
      expect(body.recoveryCodesLeft).toBe(8 - index <= 2 ? 8 - index : undefined);
    }
    const me = await call("GET", "/user", { token: used.body.token });
    expect(me.body.user.mfa).toEqual({ totp: true, recoveryCodesLeft: 2 });
  });

  test("regenerating needs password and code, voids the old set and sends a notice", async () => {
    const { email, token, secret, recoveryCodes } = await withTotp();
    expect((await call("POST", "/mfa/recovery-codes", { token, body: { password } })).status).toBe(422);
    expect(
      (
        await call("POST", "/mfa/recovery-codes", {
          token,
          body: { password: wrong, code: totpCode(secret, clock.now) },
        })
      ).status,
    ).toBe(403);
    const regenerated = await call("POST", "/mfa/recovery-codes", {
      token,
      body: { password, code: totpCode(secret, clock.now) },
    });
    expect(regenerated.status).toBe(200);
    expect(regenerated.body.recoveryCodes).toHaveLength(10);
    expect((await api.mailbox.next(email)).subject).toBe("New recovery codes");
    expect((await secondStep({ mfaToken: await mfaTokenOf(email), recoveryCode: recoveryCodes[1]! })).status).toBe(401);
    expect(
      (await secondStep({ mfaToken: await mfaTokenOf(email), recoveryCode: regenerated.body.recoveryCodes[0] })).status,
    ).toBe(200);
  });
});

describe("sessions and sensitive actions", () => {
  test("amr is kept through refreshes", async () => {
    const { email, secret } = await withTotp();
    const { body } = await secondStep({ mfaToken: await mfaTokenOf(email), code: totpCode(secret, clock.now) });
    const refreshed = await call("POST", "/refresh", { body: { refreshToken: body.refreshToken } });
    expect(refreshed.status).toBe(200);
    expect(claims(refreshed.body.token).amr).toEqual(["pwd", "otp"]);
    const again = await call("POST", "/refresh", { body: { refreshToken: refreshed.body.refreshToken } });
    expect(claims(again.body.token).amr).toEqual(["pwd", "otp"]);
  });

  test("a password-only login says amr pwd, through refresh too", async () => {
    const email = `pwd-only-${++accounts}@example.com`;
    await call("POST", "/signup", { body: { email, password } });
    await api.mailbox.next(email);
    const { body } = await firstStep(email);
    expect(claims(body.token).amr).toEqual(["pwd"]);
    const refreshed = await call("POST", "/refresh", { body: { refreshToken: body.refreshToken } });
    expect(claims(refreshed.body.token).amr).toEqual(["pwd"]);
  });

  test("while TOTP is on, every sensitive action is refused without the code, and with a wrong one", async () => {
    const { userId, token, secret } = await withTotp();
    const right = totpCode(secret, clock.now);
    const wrongCode = right === "000000" ? "111111" : "000000";
    const newPassword = "a whole new password";
    for (const code of [undefined, wrongCode]) {
      const refusals = [
        await call("PUT", "/user/password", { token, body: { currentPassword: password, newPassword, code } }),
        await call("DELETE", "/user", { token, body: { password, code } }),
        await call("DELETE", "/mfa/totp", { token, body: { password, code } }),
        await call("POST", "/mfa/recovery-codes", { token, body: { password, code } }),
      ];
      // The code is required by the schema where TOTP must be on to act (422), checked by presence elsewhere (403).
      expect(refusals.map(({ status }) => status)).toEqual(
        code === undefined ? [403, 403, 422, 422] : [403, 403, 403, 403],
      );
    }
    // Without the password, even with the right code.
    expect((await call("DELETE", "/user", { token, body: { code: right } })).status).toBe(403);
    expect((await call("DELETE", "/mfa/totp", { token, body: { password: wrong, code: right } })).status).toBe(403);
    const user = await storedUser(userId);
    expect(user?.mfa?.totp).toBeDefined();
    expect((await call("GET", "/user", { token })).status).toBe(200);
  });

  test("turning TOTP off: password and code, other sessions end, a notice; then a login is one step again", async () => {
    const { email, token, secret } = await withTotp();
    const { body: other } = await secondStep({ mfaToken: await mfaTokenOf(email), code: totpCode(secret, clock.now) });
    clock.now += STEP_MS;
    const off = await call("DELETE", "/mfa/totp", { token, body: { password, code: totpCode(secret, clock.now) } });
    expect(off.status).toBe(204);
    expect((await api.mailbox.next(email)).subject).toBe("Two-step login is off");
    expect((await call("GET", "/user", { token: other.token })).status).toBe(401);
    const me = await call("GET", "/user", { token });
    expect(me.body.user.mfa).toEqual({ totp: false, recoveryCodesLeft: 0 });
    const login = await firstStep(email);
    expect(login.body.token).toEqual(expect.any(String));
    expect(login.body.mfaRequired).toBeUndefined();
  });

  test("deleting the account with password and a recovery code", async () => {
    const { email, token, recoveryCodes } = await withTotp();
    expect((await call("DELETE", "/user", { token, body: { password, code: recoveryCodes[0] } })).status).toBe(204);
    expect((await firstStep(email)).status).toBe(401);
  });
});

describe("the TOTP secret at rest", () => {
  test("a copy of the database without the key opens no secret; a rotated key still opens it and seals it again", async () => {
    const { email, userId, secret } = await withTotp();
    const sealed = (await storedUser(userId))?.mfa?.totp?.secret as string;
    expect(sealed).not.toContain(secret);

    // Another key only: the stored secret opens nowhere, so no code is accepted.
    const newKey = generateEncryptionKey();
    app = api.build({ env: { MFA_ENCRYPTION_KEY: newKey } }).app;
    try {
      expect((await secondStep({ mfaToken: await mfaTokenOf(email), code: totpCode(secret, clock.now) })).status).toBe(
        401,
      );

      // Rotated: the new key, the old one among the previous keys. The secret opens and is sealed again.
      app = api.build({ env: { MFA_ENCRYPTION_KEY: newKey, MFA_PREVIOUS_ENCRYPTION_KEYS: encryptionKey } }).app;
      clock.now += STEP_MS;
      expect((await secondStep({ mfaToken: await mfaTokenOf(email), code: totpCode(secret, clock.now) })).status).toBe(
        200,
      );
      const resealed = (await storedUser(userId))?.mfa?.totp?.secret as string;
      expect(resealed.split(".")[0]).not.toBe(sealed.split(".")[0]);

      // Only the new key now: it still works, without the old one.
      app = api.build({ env: { MFA_ENCRYPTION_KEY: newKey } }).app;
      clock.now += STEP_MS;
      expect((await secondStep({ mfaToken: await mfaTokenOf(email), code: totpCode(secret, clock.now) })).status).toBe(
        200,
      );
    } finally {
      app = undefined;
    }
  });
});
