// Verification and password reset through app.handle, with the real auth-api in this process, a real database and
// a real SMTP server (smtp-server) receiving what users-api sends; the tests follow the links in the mails. Time is
// the apps' injected clock (auth-api's too, so access tokens stay valid), moved on by the tests: a link expires, a
// mail quota's minute passes, without writing into the database or waiting.
import { describe, expect, test } from "bun:test";
import { EMAIL_NOT_VERIFIED_PROBLEM, RESET_TOKEN_PROBLEM, VERIFICATION_TOKEN_PROBLEM } from "../src/problems.ts";
import { MAIL_INTERVAL_MS } from "../src/mail/quota.ts";
import { RESET_TOKEN_TTL_MS, VERIFICATION_TOKEN_TTL_MS } from "../src/one-time-token.ts";
import { tokenHash } from "../src/secret-token.ts";
import { linkIn, startMailbox } from "./mailbox.ts";
import { mailFrom, type MoreSettings, useUsersApi } from "./support.ts";
import { freePort } from "@accounts/scripts/lib/processes";

// Every request here is one client (in-process, no socket): past the per-client limits, which throttling.test.ts covers.
const api = useUsersApi("users_email", {
  env: {
    SIGNUPS_PER_CLIENT_PER_HOUR: "1000",
    LOGINS_PER_CLIENT_PER_MINUTE: "1000",
    EMAIL_REQUESTS_PER_CLIENT_PER_HOUR: "1000",
  },
});
const { call, clock } = api;
const password = "correct horse battery";
/** Every token a mail carried, to look for in logs and responses at the end. */
const tokensSeen: string[] = [];
/** The apps the tests built beside the suite's, whose logs are searched at the end too. */
const apps: ReturnType<typeof api.build>[] = [];

function build(settings?: MoreSettings) {
  const built = api.build(settings);
  apps.push(built);
  return built;
}

async function linkFor(email: string, path: "/verify-email" | "/reset-password") {
  const mail = await api.mailbox.next(email);
  const { link, token } = linkIn(mail, path);
  tokensSeen.push(token);
  return { mail, link, token };
}

async function signUp(email: string) {
  const response = await call("POST", "/signup", { body: { email, password } });
  expect(response.status).toBe(201);
  return response.body.user as { id: string; email: string; emailVerified: boolean };
}

const logIn = (email: string, pw = password) => call("POST", "/login", { body: { email, password: pw } });

/** The mail quota's minute passes, for every key. */
const quotaPassed = () => {
  clock.now += MAIL_INTERVAL_MS;
};

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await Bun.sleep(20);
  }
}

describe("verification", () => {
  test("sign-up sends a mail with a text and an HTML part whose link verifies the address, once", async () => {
    const user = await signUp("ada@example.com");
    expect(user.emailVerified).toBe(false);
    const { mail, link, token } = await linkFor("ada@example.com", "/verify-email");
    expect(mail.from?.value).toEqual([{ name: "Accounts", address: mailFrom.slice(10, -1) }]);
    expect(mail.subject).toBe("Confirm your email address");
    expect(link).toStartWith("http://users.test/verify-email#token=");
    // 256 bits in base64url; only the hash is stored, for 24 hours.
    expect(token).toMatch(/^[\w-]{43}$/);
    const stored = await api.db
      .collection("email_verification_tokens")
      .find({ userId: { $exists: true } })
      .toArray();
    expect(stored.map(({ _id }) => _id)).toContain(tokenHash(token) as never);
    expect(JSON.stringify(stored)).not.toContain(token);
    const expiresAt = stored.find(({ _id }) => (_id as unknown) === tokenHash(token))!.expiresAt as Date;
    expect(expiresAt.getTime()).toBe(clock.now + VERIFICATION_TOKEN_TTL_MS);

    const verified = await call("POST", "/email/verify", { body: { token } });
    expect(verified).toMatchObject({ status: 200, body: { user: { ...user, emailVerified: true } } });
    const { body: session } = await logIn("ada@example.com");
    expect((await call("GET", "/user", { token: session.token })).body.user.emailVerified).toBe(true);

    const again = await call("POST", "/email/verify", { body: { token } });
    expect(again.status).toBe(400);
    expect(again.headers.get("content-type")).toBe("application/problem+json");
    expect(again.body).toMatchObject({ type: VERIFICATION_TOKEN_PROBLEM, status: 400 });
  });

  test("an expired or unknown token fails and verifies nobody", async () => {
    await signUp("late@example.com");
    const { token } = await linkFor("late@example.com", "/verify-email");
    clock.now += VERIFICATION_TOKEN_TTL_MS;
    for (const attempt of [token, "x".repeat(43), "?"]) {
      const { status, body } = await call("POST", "/email/verify", { body: { token: attempt } });
      expect({ status, type: body.type }).toEqual({ status: 400, type: VERIFICATION_TOKEN_PROBLEM });
    }
    expect((await api.db.collection("users").findOne({ email: "late@example.com" }))?.emailVerified).toBe(false);
  });

  test("resend: 429 with Retry-After inside the minute after the last mail, 202 and a new working link after it", async () => {
    await signUp("again@example.com");
    const { token: first } = await linkFor("again@example.com", "/verify-email");
    const { body: session } = await logIn("again@example.com");
    expect((await call("POST", "/email/verify/resend")).status).toBe(401);

    const early = await call("POST", "/email/verify/resend", { token: session.token });
    expect(early.status).toBe(429);
    expect(early.headers.get("retry-after")).toBe(String(MAIL_INTERVAL_MS / 1000));
    clock.now += MAIL_INTERVAL_MS - 1_500;
    const almost = await call("POST", "/email/verify/resend", { token: session.token });
    expect({ status: almost.status, retryAfter: almost.headers.get("retry-after") }).toEqual({
      status: 429,
      retryAfter: "2",
    });
    expect(api.mailbox.to("again@example.com")).toHaveLength(1);

    quotaPassed();
    const later = await call("POST", "/email/verify/resend", { token: session.token });
    expect(later).toMatchObject({ status: 202, body: { message: expect.any(String) } });
    const { token: second } = await linkFor("again@example.com", "/verify-email");
    expect(second).not.toBe(first);
    expect((await call("POST", "/email/verify", { body: { token: second } })).status).toBe(200);
    quotaPassed();
    expect((await call("POST", "/email/verify/resend", { token: session.token })).status).toBe(409);
  });

  test("REQUIRE_VERIFIED_EMAIL: off, unverified accounts log in; on, their correct password gets 403 of its own type", async () => {
    await signUp("strict@example.com");
    const { token } = await linkFor("strict@example.com", "/verify-email");
    expect((await logIn("strict@example.com")).status).toBe(200);

    const strict = build({ env: { REQUIRE_VERIFIED_EMAIL: "true" } });
    const refused = await call("POST", "/login", { body: { email: "strict@example.com", password } }, strict.app);
    expect(refused.status).toBe(403);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(refused.body).toMatchObject({ type: EMAIL_NOT_VERIFIED_PROBLEM, status: 403 });
    expect(refused.text).not.toContain('token":');
    const wrong = await call(
      "POST",
      "/login",
      {
        body: { email: "strict@example.com", password: "wrong password!" },
      },
      strict.app,
    );
    expect(wrong).toMatchObject({ status: 401, body: { type: "about:blank" } });

    expect((await call("POST", "/email/verify", { body: { token } }, strict.app)).status).toBe(200);
    const allowed = await call("POST", "/login", { body: { email: "strict@example.com", password } }, strict.app);
    expect(allowed).toMatchObject({ status: 200, body: { tokenType: "Bearer" } });
  });
});

describe("password reset", () => {
  test("forgot answers a known and an unknown address alike; only the known one gets a mail, once a minute", async () => {
    await signUp("grace@example.com");
    await api.mailbox.next("grace@example.com");
    const known = await call("POST", "/password/forgot", { body: { email: " Grace@Example.com" } });
    const unknown = await call("POST", "/password/forgot", { body: { email: "nobody@example.com" } });
    expect(known.status).toBe(202);
    expect({ status: unknown.status, text: unknown.text }).toEqual({ status: known.status, text: known.text });
    const { mail, link } = await linkFor("grace@example.com", "/reset-password");
    expect(mail.subject).toBe("Reset your password");
    expect(link).toStartWith("http://users.test/reset-password#token=");

    const user = await api.db.collection("users").findOne({ email: "grace@example.com" });
    const stored = await api.db.collection("password_reset_tokens").find({ userId: user!._id }).toArray();
    expect(stored.map(({ expiresAt }) => (expiresAt as Date).getTime())).toEqual([clock.now + RESET_TOKEN_TTL_MS]);

    // Inside the minute: the same answer, and no mail. A minute later the next one is sent: once it has arrived, a
    // mail from the refused request, which would have been on its way before it, would have arrived too.
    const throttled = await call("POST", "/password/forgot", { body: { email: "grace@example.com" } });
    expect({ status: throttled.status, text: throttled.text }).toEqual({ status: known.status, text: known.text });
    quotaPassed();
    expect((await call("POST", "/password/forgot", { body: { email: "grace@example.com" } })).status).toBe(202);
    await linkFor("grace@example.com", "/reset-password");
    expect(api.mailbox.to("grace@example.com").map(({ subject }) => subject)).toEqual([
      "Confirm your email address",
      "Reset your password",
      "Reset your password",
    ]);
    expect(api.mailbox.to("nobody@example.com")).toHaveLength(0);
  });

  test("forgot takes as long for an unknown address as for a known one", async () => {
    const count = 24;
    const known = Array.from({ length: count }, (_, i) => `timing${i}@example.com`);
    for (const email of known) {
      await signUp(email);
      await api.mailbox.next(email);
    }
    const time = async (email: string) => {
      const started = performance.now();
      expect((await call("POST", "/password/forgot", { body: { email } })).status).toBe(202);
      const elapsed = performance.now() - started;
      // A known address's token and mail are made after the answer: wait for its mail, so that work does not slow
      // the next measurement down.
      if (known.includes(email)) await api.mailbox.next(email);
      return elapsed;
    };
    const knownMs: number[] = [];
    const unknownMs: number[] = [];
    // Alternating which goes first, so neither always follows the other's background work.
    for (let i = 0; i < count; i++) {
      if (i % 2 === 0) knownMs.push(await time(known[i]!));
      unknownMs.push(await time(`absent${i}@example.com`));
      if (i % 2 === 1) knownMs.push(await time(known[i]!));
    }
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const ratio = median(unknownMs) / median(knownMs);
    console.log(
      `forgot medians: known ${median(knownMs).toFixed(2)} ms, unknown ${median(unknownMs).toFixed(2)} ms (ratio ${ratio.toFixed(2)})`,
    );
    expect(ratio).toBeGreaterThan(0.67);
    expect(ratio).toBeLessThan(1.5);
  }, 30_000);

  test("reset sets the password, ends every session, verifies the address, sends a notice; the link works once", async () => {
    await signUp("reset@example.com");
    await api.mailbox.next("reset@example.com");
    const { body: before } = await logIn("reset@example.com");
    expect((await call("GET", "/user", { token: before.token })).status).toBe(200);
    await call("POST", "/password/forgot", { body: { email: "reset@example.com" } });
    const { token } = await linkFor("reset@example.com", "/reset-password");

    const newPassword = "a new and better one";
    const reset = await call("POST", "/password/reset", { body: { token, newPassword } });
    expect(reset).toMatchObject({ status: 200, body: { deviceToken: expect.stringMatching(/^[\w-]{43}$/) } });
    expect((await logIn("reset@example.com")).status).toBe(401);
    const after = await logIn("reset@example.com", newPassword);
    expect(after.status).toBe(200);
    expect((await call("GET", "/user", { token: before.token })).status).toBe(401);
    expect((await call("GET", "/user", { token: after.body.token })).body.user).toMatchObject({
      email: "reset@example.com",
      emailVerified: true,
    });

    const notice = await api.mailbox.next("reset@example.com");
    expect(notice.subject).toBe("Your password was changed");
    expect(typeof notice.html).toBe("string");
    expect(`${notice.text}${notice.html}`).not.toMatch(/token|https?:\/\//);

    const reused = await call("POST", "/password/reset", { body: { token, newPassword: "yet another password" } });
    expect(reused).toMatchObject({ status: 400, body: { type: RESET_TOKEN_PROBLEM } });
    expect((await logIn("reset@example.com", newPassword)).status).toBe(200);
  });

  test("a second reset mail voids the first link", async () => {
    await signUp("twice@example.com");
    await api.mailbox.next("twice@example.com");
    await call("POST", "/password/forgot", { body: { email: "twice@example.com" } });
    const { token: first } = await linkFor("twice@example.com", "/reset-password");
    quotaPassed();
    await call("POST", "/password/forgot", { body: { email: "twice@example.com" } });
    const { token: second } = await linkFor("twice@example.com", "/reset-password");

    const voided = await call("POST", "/password/reset", {
      body: { token: first, newPassword: "first link password" },
    });
    expect(voided).toMatchObject({ status: 400, body: { type: RESET_TOKEN_PROBLEM } });
    expect((await logIn("twice@example.com")).status).toBe(200);
    expect(
      (await call("POST", "/password/reset", { body: { token: second, newPassword: "second link password" } })).status,
    ).toBe(200);
  });

  test("an expired or unknown token changes nothing", async () => {
    await signUp("expired@example.com");
    await api.mailbox.next("expired@example.com");
    await call("POST", "/password/forgot", { body: { email: "expired@example.com" } });
    const { token } = await linkFor("expired@example.com", "/reset-password");
    clock.now += RESET_TOKEN_TTL_MS;
    const stored = await api.db.collection("users").findOne({ email: "expired@example.com" });
    for (const attempt of [token, "not-a-token"]) {
      const { status, body } = await call("POST", "/password/reset", {
        body: { token: attempt, newPassword: "never stored password" },
      });
      expect({ status, type: body.type }).toEqual({ status: 400, type: RESET_TOKEN_PROBLEM });
    }
    expect(await api.db.collection("users").findOne({ email: "expired@example.com" })).toEqual(stored);
  });

  test("reset refuses a common or address-derived password with 422 naming newPassword; the link still works", async () => {
    await signUp("policy@example.com");
    await api.mailbox.next("policy@example.com");
    await call("POST", "/password/forgot", { body: { email: "policy@example.com" } });
    const { token } = await linkFor("policy@example.com", "/reset-password");
    for (const newPassword of ["Password1", "my policy password"]) {
      const { status, body, text } = await call("POST", "/password/reset", { body: { token, newPassword } });
      expect(status).toBe(422);
      expect(body.errors).toEqual([{ field: "newPassword", pointer: "#/newPassword", message: expect.any(String) }]);
      expect(text).not.toContain(newPassword);
    }
    expect((await logIn("policy@example.com")).status).toBe(200);
    expect(
      (await call("POST", "/password/reset", { body: { token, newPassword: "an acceptable password" } })).status,
    ).toBe(200);
  });
});

describe("a mail server that is down or refuses", () => {
  test("sign-up still 201 and forgot still 202; the mail arrives once the server is back; failures logged without the token", async () => {
    const port = freePort();
    const down = build({ env: { SMTP_URL: `smtp://127.0.0.1:${port}` }, mailRetryDelaysMs: [200, 400, 3_000] });
    const signedUp = await call("POST", "/signup", { body: { email: "outage@example.com", password } }, down.app);
    expect(signedUp.status).toBe(201);
    expect((await call("POST", "/password/forgot", { body: { email: "outage@example.com" } }, down.app)).status).toBe(
      202,
    );
    await until(() => down.lines.filter(({ msg }) => msg === "mail not delivered yet; retrying").length >= 2);

    const restarted = await startMailbox({ port });
    try {
      const { token: verification } = linkIn(await restarted.next("outage@example.com", 10_000), "/verify-email");
      const { token: reset } = linkIn(await restarted.next("outage@example.com", 10_000), "/reset-password");
      tokensSeen.push(verification, reset);
      expect((await call("POST", "/email/verify", { body: { token: verification } }, down.app)).status).toBe(200);
      const logs = JSON.stringify(down.lines);
      expect(logs).not.toContain(verification);
      expect(logs).not.toContain(reset);
      // The mail's log lines name no address; audit events do, by design (each names its account).
      expect(JSON.stringify(down.lines.filter(({ msg }) => msg !== "audit event"))).not.toContain("outage@example.com");
      expect(down.lines).toContainEqual(
        expect.objectContaining({ level: "warn", kind: "verification", code: "ESOCKET", attempt: 1 }),
      );
    } finally {
      await restarted.stop();
    }
  }, 20_000);

  test("a refusal (5xx) is final: given up at once, logged and counted, and the user's request stands", async () => {
    const refusing = await startMailbox({ refuseWith: 550 });
    try {
      const app = build({ env: { SMTP_URL: refusing.url } });
      expect(
        (await call("POST", "/signup", { body: { email: "refused@example.com", password } }, app.app)).status,
      ).toBe(201);
      await until(() => app.lines.some(({ msg }) => msg === "mail not delivered; giving up"));
      expect(app.lines.find(({ msg }) => msg === "mail not delivered; giving up")).toMatchObject({
        level: "error",
        kind: "verification",
        attempt: 1,
        responseCode: 550,
      });
      expect(await api.db.collection("users").countDocuments({ email: "refused@example.com" })).toBe(1);
      const metrics = (await call("GET", "/metrics", undefined, app.app)).text;
      expect(metrics).toMatch(/^mail_failed_total\{kind="verification"\} 1$/m);
      expect(refusing.messages).toHaveLength(0);
    } finally {
      await refusing.stop();
    }
  });
});

test("sent mail is counted by kind", async () => {
  // An app of its own, so the counts are this test's: a sign-up, a reset link, the notice of the reset.
  const counted = build();
  const email = "counted@example.com";
  expect((await call("POST", "/signup", { body: { email, password } }, counted.app)).status).toBe(201);
  await linkFor(email, "/verify-email");
  expect((await call("POST", "/password/forgot", { body: { email } }, counted.app)).status).toBe(202);
  const { token } = await linkFor(email, "/reset-password");
  const newPassword = "an entirely new passphrase";
  expect((await call("POST", "/password/reset", { body: { token, newPassword } }, counted.app)).status).toBe(200);
  await api.mailbox.next(email);
  // Counted once the server has accepted the mail, which it has seen first.
  const sent = async () => {
    const metrics = (await call("GET", "/metrics", undefined, counted.app)).text;
    return [...metrics.matchAll(/^mail_sent_total\{kind="([^"]+)"\} (\d+)$/gm)].map(([, kind, n]) => `${kind} ${n}`);
  };
  await until(async () => (await sent()).length === 3);
  expect((await sent()).toSorted()).toEqual(["password-changed 1", "password-reset 1", "verification 1"]);
});

test("no log line and no response carried a token from a mail, or a link", async () => {
  // Its own mails (the other tests' tokens are checked too, when they ran first): a verification and a reset link.
  const own = build();
  const email = "no-tokens-logged@example.com";
  expect((await call("POST", "/signup", { body: { email, password } }, own.app)).status).toBe(201);
  const { token: verification } = await linkFor(email, "/verify-email");
  expect((await call("POST", "/email/verify", { body: { token: verification } }, own.app)).status).toBe(200);
  expect((await call("POST", "/password/forgot", { body: { email } }, own.app)).status).toBe(202);
  const { token: reset } = await linkFor(email, "/reset-password");
  const newPassword = "an unlogged new password";
  expect((await call("POST", "/password/reset", { body: { token: reset, newPassword } }, own.app)).status).toBe(200);
  await api.mailbox.next(email);
  // Each mail's log line is written once the server has accepted it.
  await until(() => own.lines.filter(({ msg }) => msg === "mail sent").length === 3);
  expect(tokensSeen).toContain(verification);
  expect(tokensSeen).toContain(reset);
  const logs = [api, ...apps].map(({ lines }) => JSON.stringify(lines)).join("\n");
  for (const token of tokensSeen) {
    expect(logs).not.toContain(token);
    expect(api.responses.map(({ text }) => text).join("\n")).not.toContain(token);
  }
  expect(logs).not.toMatch(/verify-email|reset-password|token=/);
});
