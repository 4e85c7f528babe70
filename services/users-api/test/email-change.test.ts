// Changing an account's address through app.handle, with the real auth-api, a real database, a real SMTP server
// receiving what users-api sends, and a clock the tests move: the tests follow the links in the mails.
import { describe, expect, test } from "bun:test";
import { Secret, TOTP } from "otpauth";
import { Types } from "mongoose";
import {
  EMAIL_CHANGE_CONFIRM_TTL_MS,
  EMAIL_CHANGE_REVERT_TTL_MS,
  emailChangeTokensCollectionName,
} from "../src/email-change/collection.ts";
import { EMAIL_CHANGE_TOKEN_PROBLEM } from "../src/problems.ts";
import { tokenHash } from "../src/secret-token.ts";
import { accountKey } from "../src/throttling/collection.ts";
import { linkIn } from "./mailbox.ts";
import { useUsersApi } from "./support.ts";

const password = "correct horse battery";
const accepted = { message: "A link to confirm the new address is on its way to it" };

/** Every token a mail carried, to look for in every response and log line at the end. */
const tokensSeen: string[] = [];

// Every request here is one client (in-process, no socket): past the per-client limits, which throttling.test.ts covers.
const api = useUsersApi("users_email_change", {
  env: {
    SIGNUPS_PER_CLIENT_PER_HOUR: "1000",
    LOGINS_PER_CLIENT_PER_MINUTE: "1000",
    EMAIL_REQUESTS_PER_CLIENT_PER_HOUR: "1000",
    PROOFS_PER_CLIENT_PER_MINUTE: "1000",
  },
  newHourEachTest: true,
});
const { call, clock } = api;

const logIn = (email: string, pw = password) => call("POST", "/login", { body: { email, password: pw } });
const me = async (token: string) => (await call("GET", "/user", { token })).status;

let accounts = 0;
/** A new account, its verification mail drained, with a session (`token`). */
async function account() {
  const email = `change-${++accounts}@example.com`;
  expect((await call("POST", "/signup", { body: { email, password } })).status).toBe(201);
  await api.mailbox.next(email);
  const { body } = await logIn(email);
  return { email, token: body.token as string, userId: body.userId as string };
}

/** An address nobody has, for a request's newEmail. */
const freeAddress = () => `moved-${++accounts}@example.org`;

/** Its status and body only, for tests that compare the whole answer. */
async function change(token: string, body: Record<string, unknown>) {
  const answer = await call("POST", "/user/email", { token, body });
  return { status: answer.status, body: answer.body };
}

async function linkFor(email: string, path: "/email-change/confirm" | "/email-change/revert" | "/reset-password") {
  const mail = await api.mailbox.next(email);
  const { link, token } = linkIn(mail, path);
  tokensSeen.push(token);
  return { mail, link, token };
}

/** Asks to move `from`'s account to `to` and answers the token of the confirmation link mailed there. */
async function confirmationToken(from: { token: string }, to: string) {
  expect(await change(from.token, { newEmail: to, password })).toEqual({ status: 202, body: accepted });
  return (await linkFor(to, "/email-change/confirm")).token;
}

const confirm = (token: string) => call("POST", "/user/email/confirm", { body: { token } });
const revert = (token: string) => call("POST", "/user/email/revert", { body: { token } });
const storedUser = (userId: string) => api.db.collection("users").findOne({ _id: new Types.ObjectId(userId) });
const pendingLinks = (userId: string) =>
  api.db
    .collection(emailChangeTokensCollectionName)
    .find({ userId: new Types.ObjectId(userId) })
    .toArray();

describe("a free address", () => {
  test("gets a link that moves the account there, verified; every session ends; the old address gets an undo link", async () => {
    const ada = await account();
    const other = (await logIn(ada.email)).body.token as string;
    const newEmail = freeAddress();
    // Typed loosely: the address is normalized as sign-up's is.
    expect(await change(ada.token, { newEmail: `  ${newEmail.toUpperCase()} `, password })).toEqual({
      status: 202,
      body: accepted,
    });
    const { mail, link, token } = await linkFor(newEmail, "/email-change/confirm");
    expect(mail.subject).toBe("Confirm your new email address");
    expect(link).toBe(`http://users.test/email-change/confirm#token=${token}`);
    // 256 bits in base64url; only the hash is stored, for 24 hours by the clock.
    expect(token).toMatch(/^[\w-]{43}$/);
    const [stored] = await pendingLinks(ada.userId);
    expect(stored).toMatchObject({ _id: tokenHash(token), purpose: "confirm", from: ada.email, to: newEmail });
    expect((stored!.expiresAt as Date).getTime()).toBe(clock.now + EMAIL_CHANGE_CONFIRM_TTL_MS);
    expect(JSON.stringify(stored)).not.toContain(token);
    // Asked for, not yet done: the account keeps its address and its sessions.
    expect((await call("GET", "/user", { token: ada.token })).body.user.email).toBe(ada.email);

    const confirmed = await confirm(token);
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.user).toMatchObject({ id: ada.userId, email: newEmail, emailVerified: true });
    // The confirmation carries no session: every one ends, the requester's too.
    expect([await me(ada.token), await me(other)]).toEqual([401, 401]);

    const notice = await linkFor(ada.email, "/email-change/revert");
    expect(notice.mail.subject).toBe("Your email address was changed");
    expect(notice.mail.text).toContain(newEmail);
    expect(notice.link).toBe(`http://users.test/email-change/revert#token=${notice.token}`);
    const undo = (await pendingLinks(ada.userId)).find(({ purpose }) => purpose === "revert")!;
    expect((undo.expiresAt as Date).getTime()).toBe(clock.now + EMAIL_CHANGE_REVERT_TTL_MS);

    const login = await logIn(newEmail);
    expect(login.status).toBe(200);
    expect((await call("GET", "/user", { token: login.body.token })).body.user).toMatchObject({
      email: newEmail,
      emailVerified: true,
    });
    expect((await logIn(ada.email)).status).toBe(401);
  });

  test("a link works once: again, or twice at the same moment, only one use moves the account", async () => {
    const first = await account();
    const token = await confirmationToken(first, freeAddress());
    expect((await confirm(token)).status).toBe(200);
    expect(await confirm(token)).toMatchObject({ status: 400, body: { type: EMAIL_CHANGE_TOKEN_PROBLEM } });

    const second = await account();
    const concurrent = await confirmationToken(second, freeAddress());
    const statuses = (await Promise.all([confirm(concurrent), confirm(concurrent)])).map(({ status }) => status);
    expect(statuses.toSorted()).toEqual([200, 400]);
    // One notice, one undo link.
    await api.mailbox.next(second.email);
    expect((await pendingLinks(second.userId)).map(({ purpose }) => purpose)).toEqual(["revert"]);
  });

  test("a link is refused once 24 hours have passed, and the account keeps its address", async () => {
    const ada = await account();
    const token = await confirmationToken(ada, freeAddress());
    clock.now += EMAIL_CHANGE_CONFIRM_TTL_MS;
    expect(await confirm(token)).toMatchObject({ status: 400, body: { type: EMAIL_CHANGE_TOKEN_PROBLEM } });
    expect((await storedUser(ada.userId))?.email).toBe(ada.email);
  });

  test("a newer request voids the older link", async () => {
    const ada = await account();
    const older = await confirmationToken(ada, freeAddress());
    const newer = freeAddress();
    const token = await confirmationToken(ada, newer);
    expect((await confirm(older)).status).toBe(400);
    expect((await confirm(token)).body.user.email).toBe(newer);
  });

  test("an address signed up for between the request and the confirmation: 409, and nothing changes", async () => {
    const ada = await account();
    const contested = freeAddress();
    const token = await confirmationToken(ada, contested);
    expect((await call("POST", "/signup", { body: { email: contested, password } })).status).toBe(201);
    expect(await confirm(token)).toMatchObject({ status: 409 });
    expect((await storedUser(ada.userId))?.email).toBe(ada.email);
    expect(await me(ada.token)).toBe(200);
    expect((await logIn(contested)).body.userId).not.toBe(ada.userId);
    expect(api.mailbox.to(ada.email)).toHaveLength(1);
  });
});

describe("the request", () => {
  test("to a taken address answers the same, mails that address a notice without a link, and changes nothing", async () => {
    const ada = await account();
    const grace = await account();
    expect(await change(ada.token, { newEmail: grace.email, password })).toEqual({ status: 202, body: accepted });
    const notice = await api.mailbox.next(grace.email);
    expect(notice.subject).toBe("Someone tried to move an account to this address");
    expect(`${notice.text}${notice.html}`).not.toMatch(/https?:|token/);
    expect(await pendingLinks(ada.userId)).toEqual([]);
    expect((await storedUser(ada.userId))?.email).toBe(ada.email);
    expect([await me(ada.token), await me(grace.token)]).toEqual([200, 200]);
  });

  test("a wrong or missing password is 403 naming it, and nothing is mailed", async () => {
    const ada = await account();
    const newEmail = freeAddress();
    const wrong = await change(ada.token, { newEmail, password: "not the password" });
    expect(wrong).toMatchObject({ status: 403, body: { detail: "password is not this account's password" } });
    const missing = await change(ada.token, { newEmail });
    expect(missing).toMatchObject({ status: 403, body: { detail: expect.stringContaining("password is required") } });
    expect(await pendingLinks(ada.userId)).toEqual([]);
    // Mail goes out in order: once a right request's link has arrived, the refused ones would have too.
    await confirmationToken(ada, newEmail);
    expect(api.mailbox.to(newEmail)).toHaveLength(1);
  });

  test("while TOTP is on, a code is required too: 403 without one or with a wrong one", async () => {
    const ada = await account();
    const { secret } = (await call("POST", "/mfa/totp", { token: ada.token, body: { password } })).body;
    const totp = new TOTP({ secret: Secret.fromBase32(secret) });
    const code = () => totp.generate({ timestamp: clock.now });
    expect((await call("POST", "/mfa/totp/confirm", { token: ada.token, body: { code: code() } })).status).toBe(200);
    await api.mailbox.next(ada.email);
    clock.now += 30_000;
    const newEmail = freeAddress();
    const without = await change(ada.token, { newEmail, password });
    expect(without).toMatchObject({ status: 403, body: { detail: expect.stringContaining("code is required") } });
    const wrongCode = String((Number(code()) + 1) % 1_000_000).padStart(6, "0");
    expect(await change(ada.token, { newEmail, password, code: wrongCode })).toMatchObject({ status: 403 });
    expect(await change(ada.token, { newEmail, password, code: code() })).toEqual({ status: 202, body: accepted });
    await linkFor(newEmail, "/email-change/confirm");
    expect(api.mailbox.to(newEmail)).toHaveLength(1);
  });

  test("bad input is 422 naming newEmail: not an address, or the account's own", async () => {
    const ada = await account();
    for (const newEmail of ["not an address", ` ${ada.email.toUpperCase()}`]) {
      const refused = await change(ada.token, { newEmail, password });
      expect(refused.status).toBe(422);
      expect(refused.body.errors[0]).toMatchObject({ field: "newEmail", pointer: "#/newEmail" });
    }
    expect(await change("not-a-token", { newEmail: freeAddress(), password })).toMatchObject({ status: 401 });
    expect(await pendingLinks(ada.userId)).toEqual([]);
  });
});

describe("undoing a change", () => {
  /** An account moved to a new address, with a login there (the mover's) and its device token. */
  async function moved() {
    const ada = await account();
    const newEmail = freeAddress();
    expect((await confirm(await confirmationToken(ada, newEmail))).status).toBe(200);
    const undo = (await linkFor(ada.email, "/email-change/revert")).token;
    const mover = (await logIn(newEmail)).body as { token: string; deviceToken: string };
    return { ...ada, newEmail, undo, mover };
  }

  test("gives the old address back, ends every session and device token, and mails the old address a reset link", async () => {
    const ada = await moved();
    expect(await api.db.collection("throttles").countDocuments({ _id: accountKey(ada.newEmail) as never })).toBe(1);
    const reverted = await revert(ada.undo);
    expect(reverted.status).toBe(200);
    expect(reverted.body.user).toMatchObject({ id: ada.userId, email: ada.email, emailVerified: true });
    expect(await me(ada.mover.token)).toBe(401);
    // Device tokens live in the throttling document of an address: both addresses' are gone.
    const keys = [accountKey(ada.email), accountKey(ada.newEmail)];
    expect(await api.db.collection("throttles").countDocuments({ _id: { $in: keys as never[] } })).toBe(0);
    expect(await pendingLinks(ada.userId)).toEqual([]);
    expect((await logIn(ada.newEmail)).status).toBe(401);

    const reset = await linkFor(ada.email, "/reset-password");
    expect(reset.mail.subject).toBe("Reset your password");
    const newPassword = "chosen after the undo";
    expect((await call("POST", "/password/reset", { body: { token: reset.token, newPassword } })).status).toBe(200);
    expect((await logIn(ada.email, newPassword)).status).toBe(200);
    // Once.
    expect(await revert(ada.undo)).toMatchObject({ status: 400, body: { type: EMAIL_CHANGE_TOKEN_PROBLEM } });
  });

  test("the undo link works for 7 days", async () => {
    const ada = await moved();
    clock.now += EMAIL_CHANGE_REVERT_TTL_MS;
    expect(await revert(ada.undo)).toMatchObject({ status: 400, body: { type: EMAIL_CHANGE_TOKEN_PROBLEM } });
    expect((await storedUser(ada.userId))?.email).toBe(ada.newEmail);
  });

  test("while it can be undone, no other change: whoever moved the account cannot move it on out of the undo's reach", async () => {
    const ada = await moved();
    const elsewhere = freeAddress();
    const refused = await change(ada.mover.token, { newEmail: elsewhere, password });
    expect(refused.status).toBe(409);
    expect(api.mailbox.to(elsewhere)).toEqual([]);
    expect((await revert(ada.undo)).body.user.email).toBe(ada.email);
  });

  test("once the undo link has expired, the account may move again; the old link then matches nothing", async () => {
    const ada = await moved();
    clock.now += EMAIL_CHANGE_REVERT_TTL_MS;
    const elsewhere = freeAddress();
    const owner = (await logIn(ada.newEmail)).body as { token: string };
    expect((await confirm(await confirmationToken(owner, elsewhere))).status).toBe(200);
    expect((await revert(ada.undo)).status).toBe(400);
    expect((await storedUser(ada.userId))?.email).toBe(elsewhere);
  });

  test("an old address someone signed up with meanwhile: 409, and the link works again once that account is gone", async () => {
    const ada = await moved();
    expect((await call("POST", "/signup", { body: { email: ada.email, password } })).status).toBe(201);
    expect(await revert(ada.undo)).toMatchObject({ status: 409 });
    expect((await storedUser(ada.userId))?.email).toBe(ada.newEmail);
    const squatter = (await logIn(ada.email)).body.token as string;
    expect((await call("DELETE", "/user", { token: squatter, body: { password } })).status).toBe(204);
    expect((await revert(ada.undo)).body.user.email).toBe(ada.email);
  });
});

test("the links' tokens appear in no response and no log line", async () => {
  // Its own links, through each path that mails or takes one (other tests' are checked too, when they ran first).
  const ada = await account();
  const confirmation = await confirmationToken(ada, freeAddress());
  expect((await confirm(confirmation)).status).toBe(200);
  const undo = (await linkFor(ada.email, "/email-change/revert")).token;
  expect((await revert(undo)).status).toBe(200);
  const reset = (await linkFor(ada.email, "/reset-password")).token;
  for (const own of [confirmation, undo, reset]) expect(tokensSeen).toContain(own);
  const everywhere = [...api.responses.map(({ text }) => text), JSON.stringify(api.lines)];
  expect(tokensSeen.filter((token) => everywhere.some((text) => text.includes(token)))).toEqual([]);
});
