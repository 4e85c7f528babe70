// TOTP enrolment and confirmation through app.handle, with the real auth-api, database and SMTP server, and a clock
// the tests move. Codes are computed by ./totp.ts from RFC 6238, not by the library users-api uses.
import { expect, test } from "bun:test";
import { Types } from "mongoose";
import { useUsersApi } from "./support.ts";
import { totpCode } from "./totp.ts";

const password = "correct horse battery";
const wrong = "wrong password!";

const api = useUsersApi("users_mfa", {
  env: { LOGINS_PER_CLIENT_PER_MINUTE: "1000", SIGNUPS_PER_CLIENT_PER_HOUR: "1000" },
  newHourEachTest: true,
});
const { call, clock } = api;

let accounts = 0;
/** A new account, verified-mail drained, with a session (`token`). */
async function account() {
  const email = `mfa-${++accounts}@example.com`;
  expect((await call("POST", "/signup", { body: { email, password } })).status).toBe(201);
  await api.mailbox.next(email);
  const { body } = await call("POST", "/login", { body: { email, password } });
  return { email, token: body.token as string, userId: body.userId as string };
}

const enrol = (token: string, secret = password) => call("POST", "/mfa/totp", { token, body: { password: secret } });
const confirm = (token: string, code: string) => call("POST", "/mfa/totp/confirm", { token, body: { code } });
const stored = async (userId: string) =>
  (await api.db.collection("users").findOne({ _id: new Types.ObjectId(userId) }))?.mfa as
    | Record<string, unknown>
    | undefined;

test("enrolment: a 160-bit base32 secret, its otpauth URI and a QR code in SVG; only its sealed form is stored", async () => {
  const { email, token, userId } = await account();
  const { status, body } = await enrol(token);
  expect(status).toBe(201);
  expect(body.secret).toMatch(/^[A-Z2-7]{32}$/);
  expect(body.otpauthUri).toBe(
    `otpauth://totp/Accounts:${encodeURIComponent(email)}?issuer=Accounts&secret=${body.secret}&algorithm=SHA1&digits=6&period=30`,
  );
  expect(body.qrCodeSvg).toStartWith("<svg");
  const mfa = JSON.stringify(await stored(userId));
  expect(mfa).toContain("pendingTotp");
  expect(mfa).not.toContain(body.secret);
});

test("a wrong password is 403 and counts like a failed login: after five, the account's wait answers 429", async () => {
  const { email, token } = await account();
  for (let failure = 1; failure <= 5; failure++) expect((await enrol(token, wrong)).status).toBe(403);
  expect((await enrol(token)).status).toBe(429);
  expect((await call("POST", "/login", { body: { email, password } })).status).toBe(429);
});

test("confirmation: a wrong code is 400 of its own type; the right one turns TOTP on and answers 10 recovery codes", async () => {
  const { email, token, userId } = await account();
  const other = (await call("POST", "/login", { body: { email, password } })).body.token as string;
  const { secret } = (await enrol(token)).body;
  const refused = await confirm(token, totpCode(secret, clock.now + 120_000));
  expect(refused).toMatchObject({ status: 400, body: { type: "urn:accounts:problem:mfa-code-invalid" } });
  const { status, body } = await confirm(token, totpCode(secret, clock.now));
  expect(status).toBe(200);
  expect(body.recoveryCodes).toHaveLength(10);
  // Stored: the secret sealed, the codes hashed.
  const mfa = JSON.stringify(await stored(userId));
  for (const shown of [secret, ...body.recoveryCodes]) expect(mfa).not.toContain(shown.replaceAll("-", ""));
  // Every other session ended; this one goes on. The address was told.
  expect((await call("GET", "/user", { token: other })).status).toBe(401);
  expect((await call("GET", "/user", { token })).status).toBe(200);
  expect((await api.mailbox.next(email)).subject).toBe("Two-step login is on");
  // Now on: enrolling again is 409, and so is confirming.
  expect((await enrol(token)).status).toBe(409);
  expect((await confirm(token, totpCode(secret, clock.now))).status).toBe(409);
});

test("enrolling again before confirming replaces the pending secret: the first one's code no longer confirms", async () => {
  const { token } = await account();
  const first = (await enrol(token)).body.secret as string;
  const second = (await enrol(token)).body.secret as string;
  expect(second).not.toBe(first);
  expect((await confirm(token, totpCode(first, clock.now))).status).toBe(400);
  expect((await confirm(token, totpCode(second, clock.now))).status).toBe(200);
});

test("nothing pending: confirming is 400", async () => {
  const { token } = await account();
  expect((await confirm(token, "123456")).status).toBe(400);
});
