import { generateSigningKey } from "@accounts/auth-api/keys/generate";
import { generateEncryptionKey, generateInternalToken } from "@accounts/shared/secrets";
import { prettyFactory } from "pino-pretty";
import { startFerretDB, type LocalDatabase } from "./ferretdb.ts";
import { DEV_MAIL_FROM, startMailCatcher } from "./mail-catcher.ts";
import { startService, terminate, type RunningService } from "./processes.ts";

type ServiceName = "auth-api" | "users-api";

export interface SystemOptions {
  usersPort: number;
  authPort: number;
  /** users-api's admin listener: its port and ADMIN_TOKEN; without it, no admin listener (the benchmark). */
  admin?: { port: number; token: string };
  /** Run the services under `bun --watch`, so edits restart them (dev). */
  watch?: boolean;
  /** The services' JSON log lines: one readable line each on this terminal (dev), or dropped; errors always reach stderr. */
  logs: "pretty" | "ignore";
}

// pino-pretty (pino's own pretty printer) only here, on the developer's terminal: the services themselves
// always write JSON lines, as production and the tests read them. One line per entry; a request's line
// reads `users-api request GET /user 200 3.1 ms {"requestId":…}`.
const pretty = prettyFactory({
  singleLine: true,
  translateTime: "HH:MM:ss.l",
  messageFormat: "{service} {msg}{if method} {method} {route} {status} {durationMs} ms{end}",
  ignore: "service,method,route,status,durationMs",
});
const logTo = { pretty: (line: string) => process.stdout.write(pretty(line)), ignore: () => {} };

const readyTimeoutMs = 60_000;

/**
 * The whole system on this machine: MONGODB_URI if set, else a throw-away FerretDB; a mail catcher with a
 * web inbox (`inboxUrl`) that users-api sends to; a signing key and internal token made for this run that live
 * only in the services' environment; auth-api, then users-api, each waited for until `/ready`. `stop()` ends
 * them, the mail catcher and the database.
 */
export async function startSystem({ usersPort, authPort, admin, watch = false, logs }: SystemOptions) {
  const database: LocalDatabase | undefined = process.env.MONGODB_URI ? undefined : await startFerretDB();
  const mongodbUri = process.env.MONGODB_URI ?? withDatabaseName(database!.uri, "accounts");
  const mail = await startMailCatcher().catch(async (error) => {
    await database?.stop();
    throw error;
  });
  const internalToken = generateInternalToken();
  const services: Partial<Record<ServiceName, Bun.Subprocess>> = {};

  const stop = async () => {
    await terminate(Object.values(services));
    await mail.stop();
    await database?.stop();
  };

  const start = async (name: ServiceName, port: number, env: Record<string, string>) => {
    const service = await startService(name, {
      port,
      env: { ...process.env, ...env },
      watch,
      onLine: (line, stream) => (stream === "stdout" ? logTo[logs](line) : console.error(line)),
    });
    services[name] = service.child;
    await untilReady(service);
  };

  try {
    await start("auth-api", authPort, {
      INTERNAL_TOKEN: internalToken,
      JWT_SIGNING_KEY: JSON.stringify((await generateSigningKey()).privateJwk),
    });
    await start("users-api", usersPort, {
      MONGODB_URI: mongodbUri,
      AUTH_API_URL: `http://localhost:${authPort}`,
      INTERNAL_TOKEN: internalToken,
      // A key of its own for a throw-away database; one that persists (MONGODB_URI) needs the same key every run.
      MFA_ENCRYPTION_KEY: process.env.MFA_ENCRYPTION_KEY ?? generateEncryptionKey(),
      SMTP_URL: mail.smtpUrl,
      MAIL_FROM: DEV_MAIL_FROM,
      PUBLIC_URL: `http://localhost:${usersPort}`,
      ...(admin && { ADMIN_PORT: String(admin.port), ADMIN_TOKEN: admin.token }),
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    services: services as Record<ServiceName, Bun.Subprocess>,
    startedDatabase: database !== undefined,
    mongodbUri,
    inboxUrl: mail.inboxUrl,
    stop,
  };
}

/** Polls `/ready`: listening is not enough, a service is started once its dependencies are usable. */
async function untilReady({ name, child, url }: RunningService) {
  const deadline = Date.now() + readyTimeoutMs;
  while (
    !(await fetch(`${url}/ready`).then(
      (response) => response.ok,
      () => false,
    ))
  ) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode} while starting`);
    if (Date.now() > deadline) throw new Error(`${name} was not ready at ${url} within ${readyTimeoutMs / 1000} s`);
    await Bun.sleep(250);
  }
}

/** `uri` with the database `name` when it names none. */
export function withDatabaseName(uri: string, name: string): string {
  const url = new URL(uri);
  if (url.pathname === "" || url.pathname === "/") url.pathname = `/${name}`;
  return url.toString();
}
