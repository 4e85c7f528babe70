import { resolve } from "node:path";
import { generateSigningKey } from "../../services/auth-api/src/keys/generate.ts";
import { generateInternalToken } from "../../services/shared/src/secrets.ts";
import { startFerretDB, type LocalDatabase } from "./ferretdb.ts";
import { DEV_MAIL_FROM, startMailCatcher } from "./mail-catcher.ts";
import { terminate } from "./processes.ts";

type ServiceName = "auth-api" | "users-api";

export interface SystemOptions {
  usersPort: number;
  authPort: number;
  /** Run the services under `bun --watch`, so edits restart them (dev). */
  watch?: boolean;
  /** Where the services' JSON log lines go; their errors always reach stderr. */
  logs?: "inherit" | "ignore";
}

const servicesDir = resolve(import.meta.dir, "../../services");
const readyTimeoutMs = 60_000;

/**
 * The whole system on this machine: MONGODB_URI if set, else a throw-away FerretDB; a mail catcher with a
 * web inbox (`inboxUrl`) that users-api sends to; a signing key and internal token made for this run that live
 * only in the services' environment; auth-api, then users-api, each waited for until `/ready`. `stop()` ends
 * them, the mail catcher and the database.
 */
export async function startSystem({ usersPort, authPort, watch = false, logs = "inherit" }: SystemOptions) {
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
    const child = Bun.spawn(["bun", ...(watch ? ["--watch"] : []), "src/index.ts"], {
      cwd: resolve(servicesDir, name),
      env: { ...process.env, ...env, PORT: String(port) },
      stdio: ["ignore", logs, "inherit"],
    });
    services[name] = child;
    const deadline = Date.now() + readyTimeoutMs;
    while (
      !(await fetch(`http://localhost:${port}/ready`).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode} while starting`);
      if (Date.now() > deadline)
        throw new Error(`${name} was not ready on port ${port} within ${readyTimeoutMs / 1000} s`);
      await Bun.sleep(250);
    }
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
      SMTP_URL: mail.smtpUrl,
      MAIL_FROM: DEV_MAIL_FROM,
      PUBLIC_URL: `http://localhost:${usersPort}`,
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    services: services as Record<ServiceName, Bun.Subprocess>,
    startedDatabase: database !== undefined,
    inboxUrl: mail.inboxUrl,
    stop,
  };
}

function withDatabaseName(uri: string, name: string): string {
  const url = new URL(uri);
  if (url.pathname === "" || url.pathname === "/") url.pathname = `/${name}`;
  return url.toString();
}
