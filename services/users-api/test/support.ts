import { afterAll, beforeAll, beforeEach } from "bun:test";
import type { JWK } from "jose";
import type { ConnectOptions, Connection } from "mongoose";
import type { AuthConfig } from "@accounts/auth-api/config";
import { buildApp as buildAuthApp } from "@accounts/auth-api/testing";
import { createApps } from "../src/app.ts";
import { createAuthClient } from "../src/auth-client/client.ts";
import { loadUsersConfig } from "../src/config.ts";
import { prepareDatabase } from "../src/prepare.ts";
import { captureLogger } from "@accounts/shared/testing";
import { connectTestDatabase, dropTestDatabase } from "./database.ts";
import { type Mailbox, startMailbox } from "./mailbox.ts";

export const internalToken = "internal-token-for-tests-only-0123456789";

/** MFA_ENCRYPTION_KEY for every users-api the suites start: 32 bytes, for tests only. */
export const encryptionKey = Buffer.alloc(32, 7).toString("base64");

/**
 * The real auth-api, in this process on a free port, hashing at a test-only low cost unless `overrides` say otherwise.
 * A suite that moves users-api's clock passes it as `clock` too, so tokens are dated by the time that judges them.
 */
export async function startAuthApi(port = 0, overrides: Partial<AuthConfig> = {}, clock?: () => number) {
  // A queue long enough for the suites' bursts of concurrent sign-ups.
  const { app, config, lines } = await buildAuthApp(
    { INTERNAL_TOKEN: internalToken, HASH_QUEUE_LIMIT: 64, ...overrides },
    clock,
  );
  app.listen(port);
  const privateJwk = JSON.parse(config.JWT_SIGNING_KEY) as JWK;
  return { url: app.server!.url.href, lines, privateJwk, stop: () => app.stop(true) };
}

/** Where mail goes in suites that do not start a mailbox of their own: a real SMTP server that keeps it. */
export const sharedMailbox = await startMailbox();

export const mailFrom = "Accounts <no-reply@accounts.test>";

export interface UsersAppOptions {
  timeoutMs?: number;
  token?: string;
  /** More users-api variables, as the environment would give them (e.g. a throttling limit a suite exceeds). */
  env?: Record<string, string>;
  clock?: () => number;
  mailRetryDelaysMs?: readonly number[];
}

/**
 * users-api built around `db`, talking to the auth-api at `authApiUrl`, without a port; other settings default.
 * `admin` is the admin app, when `env` sets ADMIN_TOKEN.
 */
export function buildUsersApp(
  db: Connection,
  authApiUrl: string,
  { timeoutMs = 2_000, token = internalToken, env = {}, clock = Date.now, mailRetryDelaysMs }: UsersAppOptions = {},
) {
  const config = loadUsersConfig({
    LOG_LEVEL: "debug",
    MONGODB_URI: "mongodb://unused-by-createApp",
    AUTH_API_URL: authApiUrl,
    INTERNAL_TOKEN: token,
    MFA_ENCRYPTION_KEY: encryptionKey,
    AUTH_API_TIMEOUT_MS: String(timeoutMs),
    PUBLIC_URL: "http://users.test",
    SMTP_URL: sharedMailbox.url,
    MAIL_FROM: mailFrom,
    ...env,
  });
  const { logger, lines } = captureLogger("users-api");
  const authClient = createAuthClient({ url: authApiUrl, internalToken: token, timeoutMs, logger, clock });
  return {
    ...createApps({
      db,
      authClient,
      config,
      logger,
      clock,
      monotonic: () => performance.now(),
      mailRetryDelaysMs,
    }),
    lines,
  };
}

export type RequestOptions = { body?: unknown; token?: string; headers?: Record<string, string> };

/** A JSON request the way a client sends it: `body` as JSON, `token` as a bearer token. */
export function requestInit(method: string, { body, token, headers = {} }: RequestOptions = {}): RequestInit {
  return {
    method,
    headers: {
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  };
}

/** A JSON request to the app, the way a client would send it. */
export const request = (method: string, path: string, options?: RequestOptions) =>
  new Request(`http://users.test${path}`, requestInit(method, options));

const HOUR_MS = 3_600_000;

/** Time as a suite's apps and auth-api read it (`read`): tests move `now` rather than sleep. */
export function movableClock(start = Date.now()) {
  const clock = {
    /** Milliseconds since the epoch; a test sets it or adds to it. */
    now: start,
    read: () => clock.now,
    /** On to the next hour's beginning, a minute's and a 30-second TOTP step's too: no wait or window carries over. */
    nextHour() {
      clock.now = (Math.floor(clock.now / HOUR_MS) + 1) * HOUR_MS;
    },
  };
  return clock;
}

export interface UsersApiOptions {
  /** users-api variables for every app the suite builds (limits above what its one in-process client sends, …). */
  env?: Record<string, string>;
  /** Where users-api reaches auth-api when not directly: a proxy the suite puts between them. */
  authApiUrl?: string;
  /** The clock's first reading; default: the time the suite loads. */
  start?: number;
  /** Before each test, the clock moves on to the next hour's beginning (`nextHour`). */
  newHourEachTest?: boolean;
  /** Connection options beside users-api's own (command monitoring). */
  connection?: ConnectOptions;
}

/** What a suite sets on an app it builds beside its first. */
export type MoreSettings = Pick<UsersAppOptions, "env" | "mailRetryDelaysMs">;

type AuthApi = Awaited<ReturnType<typeof startAuthApi>>;
type Parts = { db: Connection; authApi: AuthApi; mailbox: Mailbox };

/**
 * The running parts most module suites need, set up here once instead of in each suite. Called in a file or a
 * describe block, it registers there a beforeAll that connects a database of the suite's own, prepares it as a start
 * does, starts the real auth-api in this process and a mailbox, and builds users-api around them, all reading one
 * movable clock; and an afterAll that stops them and drops the database. `db`, `app` and the other parts exist from
 * that beforeAll on: read them in tests and hooks, never at a suite's top level.
 */
export function useUsersApi(label: string, suite: UsersApiOptions = {}) {
  const clock = movableClock(suite.start);
  const responses: { method: string; path: string; text: string }[] = [];
  let running: (Parts & { users: ReturnType<typeof buildUsersApp> }) | undefined;

  const parts = () => {
    if (!running) throw new Error(`${label}: the users-api fixture is read before its beforeAll or after its afterAll`);
    return running;
  };
  const buildOn = ({ db, authApi, mailbox }: Parts, { env = {}, mailRetryDelaysMs }: MoreSettings = {}) =>
    buildUsersApp(db, suite.authApiUrl ?? authApi.url, {
      clock: clock.read,
      env: { SMTP_URL: mailbox.url, ...suite.env, ...env },
      mailRetryDelaysMs,
    });

  beforeAll(async () => {
    const db = await connectTestDatabase(label, suite.connection);
    await prepareDatabase(db, captureLogger("users-api").logger);
    const authApi = await startAuthApi(0, {}, clock.read);
    const mailbox = await startMailbox();
    running = { db, authApi, mailbox, users: buildOn({ db, authApi, mailbox }) };
  });
  afterAll(async () => {
    const { db, authApi, mailbox } = parts();
    running = undefined;
    await mailbox.stop();
    await authApi.stop();
    await dropTestDatabase(db);
  });
  if (suite.newHourEachTest) beforeEach(() => clock.nextHour());

  return {
    clock,
    /** Every answer `call` got, its body then its headers as text, for the tests that look for a secret in all. */
    responses,
    get db() {
      return parts().db;
    },
    get authApi() {
      return parts().authApi;
    },
    /** The SMTP server the suite's apps send to. */
    get mailbox() {
      return parts().mailbox;
    },
    /** The public app. */
    get app() {
      return parts().users.app;
    },
    /** The admin app, when `env` sets ADMIN_TOKEN. */
    get admin() {
      return parts().users.admin;
    },
    /** What the suite's users-api logged. */
    get lines() {
      return parts().users.lines;
    },
    /** Another users-api on the suite's database, auth-api, mailbox and clock, its `env` over the suite's. */
    build: (settings?: MoreSettings) => buildOn(parts(), settings),
    /** A request to `app`, or to another app of the suite's; the body is parsed when it is JSON. */
    async call(
      method: string,
      path: string,
      options?: RequestOptions,
      app: { handle(request: Request): Promise<Response> } = parts().users.app,
    ) {
      const response = await app.handle(request(method, path, options));
      const text = await response.text();
      responses.push({ method, path, text: `${text}\n${JSON.stringify([...response.headers])}` });
      const json = response.headers.get("content-type")?.includes("json") && text !== "";
      return { status: response.status, headers: response.headers, text, body: json ? JSON.parse(text) : undefined };
    },
  };
}

/**
 * What a users-api process needs in the suites that start one, besides its database and auth-api: the shared
 * mailbox, and per-client limits far above what their one client (127.0.0.1) sends (throttling.test.ts covers the
 * limits themselves).
 */
export const usersApiProcessEnv = () => ({
  MFA_ENCRYPTION_KEY: encryptionKey,
  SMTP_URL: sharedMailbox.url,
  MAIL_FROM: mailFrom,
  SIGNUPS_PER_CLIENT_PER_HOUR: "100000",
  LOGINS_PER_CLIENT_PER_MINUTE: "100000",
  REFRESHES_PER_CLIENT_PER_MINUTE: "100000",
  PROOFS_PER_CLIENT_PER_MINUTE: "100000",
  EMAIL_REQUESTS_PER_CLIENT_PER_HOUR: "100000",
});
