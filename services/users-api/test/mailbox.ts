// A real SMTP server in the test process (nodemailer's smtp-server), keeping every message it receives, parsed
// (mailparser), so tests read the mail users-api sends and follow its links.
import { simpleParser, type ParsedMail } from "mailparser";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export interface MailboxOptions {
  /** A port to listen on (a test restarting "the mail server" at the address users-api knows); default: any. */
  port?: number;
  /** Answer every recipient with this SMTP code instead of accepting (a server that refuses). */
  refuseWith?: number;
  /** Accept and count messages without parsing them: a suite that never reads its mail saves the CPU. */
  countOnly?: boolean;
}

export async function startMailbox({ port = 0, refuseWith, countOnly = false }: MailboxOptions = {}) {
  const messages: ParsedMail[] = [];
  let received = 0;
  const server = new SMTPServer({
    authOptional: true,
    // Plain SMTP on localhost: with STARTTLS offered, nodemailer would upgrade and refuse the self-signed certificate.
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onRcptTo(_address, _session, callback) {
      if (refuseWith === undefined) return callback();
      callback(Object.assign(new Error("refused by the test"), { responseCode: refuseWith }));
    },
    onData(stream, _session, callback) {
      received++;
      if (countOnly) {
        stream.on("end", () => callback()).resume();
        return;
      }
      simpleParser(stream).then(
        (mail) => {
          messages.push(mail);
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  // A sender killed mid-connection (a test ending users-api with SIGKILL) resets it: that ends the sender's session,
  // not the mailbox. Any other error still surfaces.
  server.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "ECONNRESET" && error.code !== "EPIPE") throw error;
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const listening = (server.server.address() as AddressInfo).port;
  const taken = new Set<ParsedMail>();

  return {
    url: `smtp://127.0.0.1:${listening}`,
    port: listening,
    messages,
    /** How many messages arrived, parsed or not. */
    received: () => received,
    /** The next message to `to` that no earlier call returned; throws after `timeoutMs`. */
    async next(to: string, timeoutMs = 5_000): Promise<ParsedMail> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages.find((mail) => !taken.has(mail) && recipients(mail).includes(to));
        if (found) {
          taken.add(found);
          return found;
        }
        if (Date.now() > deadline) throw new Error(`no mail to ${to} within ${timeoutMs} ms`);
        await Bun.sleep(20);
      }
    },
    /** Messages to `to` so far. */
    to: (to: string) => messages.filter((mail) => recipients(mail).includes(to)),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type Mailbox = Awaited<ReturnType<typeof startMailbox>>;

const recipients = (mail: ParsedMail) =>
  [mail.to ?? []].flat().flatMap((address) => address.value.map(({ address }) => address ?? ""));

/** The link to `path` in both parts of `mail` (they must agree), and its token (in the fragment: `#token=…`). */
export function linkIn(mail: ParsedMail, path: string): { link: string; token: string } {
  const pattern = new RegExp(`https?://[^\\s"<>#?]+${path}#token=([\\w-]+)`);
  const text = pattern.exec(mail.text ?? "");
  const html = pattern.exec(typeof mail.html === "string" ? mail.html : "");
  if (!text || !html || text[0] !== html[0]) throw new Error(`no matching ${path} link in both parts of the mail`);
  return { link: text[0], token: text[1]! };
}
