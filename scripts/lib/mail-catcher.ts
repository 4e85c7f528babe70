import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { terminate } from "./processes.ts";

/** Where `bun run dev` sends mail from: any address works, the catcher delivers nothing. */
export const DEV_MAIL_FROM = "Accounts <no-reply@localhost>";

// Node starts it in a few seconds; on a loaded machine it has taken ten.
const startTimeoutMs = 30_000;

/**
 * A local mail catcher with a web inbox: MailDev (npm `maildev`, a devDependency), run under Node as its
 * package intends. It ships its built web UI, whereas Mailpit's Go module lacks it (the UI is built by a separate
 * npm step). It accepts every message over SMTP and shows it at `inboxUrl` (its REST API lists them at
 * `/api/email`); nothing is delivered anywhere. Both ports are free ones, on 127.0.0.1 only.
 */
export async function startMailCatcher() {
  const [smtpPort, webPort] = [await freePort(), await freePort()];
  // Its package exports only the library; the command is its `bin`, next to it.
  const script = fileURLToPath(new URL("bin/maildev.js", import.meta.resolve("maildev")));
  const child = Bun.spawn(
    [
      "node",
      script,
      "--smtp",
      String(smtpPort),
      "--web",
      String(webPort),
      "--ip",
      "127.0.0.1",
      "--web-ip",
      "127.0.0.1",
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  const inboxUrl = `http://localhost:${webPort}/`;
  const stop = () => terminate([child]);
  const deadline = Date.now() + startTimeoutMs;
  while (
    !(await fetch(`http://127.0.0.1:${webPort}/api/healthz`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(
        `the mail catcher (maildev) did not start within ${startTimeoutMs / 1000} s (is Node installed?)`,
      );
    }
    await Bun.sleep(200);
  }
  return { smtpUrl: `smtp://127.0.0.1:${smtpPort}`, inboxUrl, stop };
}

/** A TCP port the OS just reported free on 127.0.0.1. */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer().once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
