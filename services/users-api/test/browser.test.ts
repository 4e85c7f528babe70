// The pages the links open, in a real browser: Debian's Chromium, headless, driven by playwright-core (whose own
// browser download cannot run here). users-api listens on a free port; mail goes to a real SMTP server in-process.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import type { Connection } from "mongoose";
import { type Browser, chromium } from "playwright-core";
import { connectTestDatabase, dropTestDatabase } from "./database.ts";
import { linkIn, type Mailbox, startMailbox } from "./mailbox.ts";
import { buildUsersApp, requestInit, startAuthApi } from "./support.ts";
import { captureLogger } from "@accounts/shared/testing";
import { freePort } from "@accounts/scripts/lib/processes";
import { prepareDatabase } from "../src/prepare.ts";

// Debian's package (apt-get install chromium); CI on Ubuntu, which packages Chromium only as a snap, names its own.
const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const available = existsSync(chromiumPath);
if (!available) {
  const why = `Chromium is not at ${chromiumPath} (Debian: apt-get install chromium; or set CHROMIUM_PATH)`;
  if (process.env.CI) throw new Error(why);
  console.warn(`skipping the browser test: ${why}`);
}

// Not describe.skipIf: bun runs the body of a skipped describe too, and this one starts a browser.
if (!available) test.skip("the link pages in a real browser (needs Chromium, see the message above)", () => {});
else
  describe("the link pages in Chromium", () => {
    let db: Connection;
    let authApi: Awaited<ReturnType<typeof startAuthApi>>;
    let mailbox: Mailbox;
    let browser: Browser;
    let base: string;
    let stopUsers: () => unknown;
    // Every URL users-api received, as an access log in front of it (the load balancer's) would record it.
    const received: string[] = [];
    /** What `received` gets from now on: the URLs of the calling test's own requests, not the other tests'. */
    const receivedFromNow = () => {
      const from = received.length;
      return () => received.slice(from);
    };

    /**
     * A new page and what went wrong in it: console errors, uncaught exceptions and failed requests. Chromium asks for
     * /favicon.ico on its own (404, the pages have none); every other request must succeed.
     */
    const watchedPage = async () => {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error" && !message.text().startsWith("Failed to load resource"))
          problems.push(message.text());
      });
      page.on("pageerror", (error) => problems.push(error.message));
      page.on("response", (response) => {
        if (response.status() >= 400 && new URL(response.url()).pathname !== "/favicon.ico")
          problems.push(`${response.status()} ${response.url()}`);
      });
      return { page, problems };
    };

    const api = async (method: string, path: string, body?: object) => {
      const response = await fetch(`${base}${path}`, requestInit(method, { body }));
      const answer = (await response.json().catch(() => undefined)) as { token?: string } | undefined;
      return { status: response.status, body: answer };
    };

    beforeAll(async () => {
      db = await connectTestDatabase("users_browser");
      const { logger } = captureLogger("users-api");
      await prepareDatabase(db, logger);
      authApi = await startAuthApi();
      mailbox = await startMailbox();
      const port = freePort();
      base = `http://127.0.0.1:${port}`;
      const { app } = buildUsersApp(db, authApi.url, { env: { SMTP_URL: mailbox.url, PUBLIC_URL: base } });
      app.onRequest(({ request }) => void received.push(request.url));
      app.listen(port);
      stopUsers = () => app.stop(true);
      // launch() gives the browser a fresh profile in a temporary folder, deleted when it closes.
      browser = await chromium.launch({
        executablePath: chromiumPath,
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
        ],
      });
    }, 30_000);
    afterAll(async () => {
      await browser?.close();
      await stopUsers?.();
      await mailbox?.stop();
      await authApi?.stop();
      await dropTestDatabase(db);
    });

    test("verify the address, then reset the password in the page and log in with the new one", async () => {
      const email = "browser@example.com";
      const oldPassword = "correct horse battery";
      const newPassword = "chosen in a real page";
      const receivedHere = receivedFromNow();
      expect((await api("POST", "/signup", { email, password: oldPassword })).status).toBe(201);
      const { page, problems } = await watchedPage();

      // The token rides in the fragment, which the browser never sends: no request, so no access log, carries it.
      const verification = linkIn(await mailbox.next(email), "/verify-email");
      expect(verification.link).toBe(`${base}/verify-email#token=${verification.token}`);
      await page.goto(verification.link);
      // The script takes the token out of the address bar (history, screenshots, a copied address).
      expect(await page.evaluate("location.href")).toBe(`${base}/verify-email`);
      await page.getByRole("button", { name: "Confirm my email address" }).click();
      await page.getByRole("status").getByText("your email address is confirmed").waitFor();

      expect((await api("POST", "/password/forgot", { email })).status).toBe(202);
      const reset = linkIn(await mailbox.next(email), "/reset-password");
      expect(reset.link).toBe(`${base}/reset-password#token=${reset.token}`);
      await page.goto(reset.link);
      expect(await page.evaluate("location.href")).toBe(`${base}/reset-password`);
      await page.getByLabel("New password").fill(newPassword);
      await page.getByLabel("The same password again").fill(newPassword);
      await page.getByRole("button", { name: "Set the new password" }).click();
      await page.getByRole("status").getByText("Your password is changed").waitFor();

      expect((await api("POST", "/login", { email, password: oldPassword })).status).toBe(401);
      const login = await api("POST", "/login", { email, password: newPassword });
      expect(login.status).toBe(200);
      const me = await fetch(`${base}/user`, requestInit("GET", { token: login.body?.token }));
      expect(((await me.json()) as { user: object }).user).toMatchObject({ email, emailVerified: true });
      // No CSP violation, script error or failed request along the way.
      expect(problems).toEqual([]);
      const leaked = receivedHere().filter((url) => url.includes(verification.token) || url.includes(reset.token));
      expect({ leaked, pagesLoaded: receivedHere().filter((url) => /verify-email|reset-password/.test(url)) }).toEqual({
        leaked: [],
        pagesLoaded: [`${base}/verify-email`, `${base}/reset-password`],
      });
    }, 30_000);

    test("move the account to a new address in the confirmation page, then undo it in the notice's page", async () => {
      const email = "browser-move@example.com";
      const newEmail = "browser-moved@example.org";
      const password = "correct horse battery";
      const receivedHere = receivedFromNow();
      expect((await api("POST", "/signup", { email, password })).status).toBe(201);
      await mailbox.next(email);
      const { token } = (await api("POST", "/login", { email, password })).body as { token: string };
      const asked = await fetch(`${base}/user/email`, requestInit("POST", { token, body: { newEmail, password } }));
      expect(asked.status).toBe(202);
      const { page, problems } = await watchedPage();

      const confirmation = linkIn(await mailbox.next(newEmail), "/email-change/confirm");
      expect(confirmation.link).toBe(`${base}/email-change/confirm#token=${confirmation.token}`);
      await page.goto(confirmation.link);
      expect(await page.evaluate("location.href")).toBe(`${base}/email-change/confirm`);
      await page.getByRole("button", { name: "Confirm my new email address" }).click();
      await page.getByRole("status").getByText("Your email address is changed").waitFor();
      expect((await api("POST", "/login", { email: newEmail, password })).status).toBe(200);

      const undo = linkIn(await mailbox.next(email), "/email-change/revert");
      expect(undo.link).toBe(`${base}/email-change/revert#token=${undo.token}`);
      await page.goto(undo.link);
      expect(await page.evaluate("location.href")).toBe(`${base}/email-change/revert`);
      await page.getByRole("button", { name: "Give my account this address back" }).click();
      await page.getByRole("status").getByText("Your account has this address again").waitFor();
      linkIn(await mailbox.next(email), "/reset-password");
      expect((await api("POST", "/login", { email, password })).status).toBe(200);

      expect(problems).toEqual([]);
      // The same link again, in a new tab: the page says why.
      const again = await browser.newPage();
      await again.goto(undo.link);
      await again.getByRole("button", { name: "Give my account this address back" }).click();
      await again.getByRole("status").getByText("used, expired or replaced").waitFor();
      const leaked = receivedHere().filter((url) => url.includes(confirmation.token) || url.includes(undo.token));
      expect({ leaked, pagesLoaded: receivedHere().filter((url) => url.includes("/email-change/")) }).toEqual({
        leaked: [],
        pagesLoaded: [`${base}/email-change/confirm`, `${base}/email-change/revert`, `${base}/email-change/revert`],
      });
    }, 30_000);

    test("a link sent before the fragment (?token=) still opens, and its token leaves the address bar too", async () => {
      const email = "query-link@example.com";
      expect((await api("POST", "/signup", { email, password: "correct horse battery" })).status).toBe(201);
      const { token } = linkIn(await mailbox.next(email), "/verify-email");
      const page = await browser.newPage();
      await page.goto(`${base}/verify-email?token=${token}`);
      expect(await page.evaluate("location.href")).toBe(`${base}/verify-email`);
      await page.getByRole("button", { name: "Confirm my email address" }).click();
      await page.getByRole("status").getByText("your email address is confirmed").waitFor();
    }, 30_000);

    test("a second link opened in the same tab, which only changes the fragment, is read too", async () => {
      const first = "same-tab-1@example.com";
      const second = "same-tab-2@example.com";
      for (const email of [first, second])
        expect((await api("POST", "/signup", { email, password: "correct horse battery" })).status).toBe(201);
      const page = await browser.newPage();
      await page.goto(linkIn(await mailbox.next(first), "/verify-email").link);
      // Same path, another fragment: the browser does not load the page again, so the script hears hashchange.
      await page.goto(linkIn(await mailbox.next(second), "/verify-email").link);
      expect(await page.evaluate("location.href")).toBe(`${base}/verify-email`);
      await page.getByRole("button", { name: "Confirm my email address" }).click();
      await page.getByRole("status").getByText("your email address is confirmed").waitFor();
      const verified = async (email: string) => {
        const login = await api("POST", "/login", { email, password: "correct horse battery" });
        const me = await fetch(`${base}/user`, requestInit("GET", { token: login.body?.token }));
        return ((await me.json()) as { user: { emailVerified: boolean } }).user.emailVerified;
      };
      expect({ first: await verified(first), second: await verified(second) }).toEqual({ first: false, second: true });
    }, 30_000);

    test("a used link shows why in the page", async () => {
      const email = "twice-browser@example.com";
      expect((await api("POST", "/signup", { email, password: "correct horse battery" })).status).toBe(201);
      const { link, token } = linkIn(await mailbox.next(email), "/verify-email");
      expect((await api("POST", "/email/verify", { token })).status).toBe(200);
      const page = await browser.newPage();
      await page.goto(link);
      await page.getByRole("button", { name: "Confirm my email address" }).click();
      await page.getByRole("status").getByText("used, expired or unknown").waitFor();
    }, 30_000);
  });
