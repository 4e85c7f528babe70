import type { Logger, Metrics } from "@accounts/shared";
import nodemailer from "nodemailer";

export type MailKind =
  | "verification"
  | "password-reset"
  | "password-changed"
  | "totp-enabled"
  | "totp-disabled"
  | "totp-reset"
  | "recovery-codes-regenerated"
  | "email-change"
  | "email-change-taken"
  | "email-changed";

/** One email, both parts: every mail has a plain-text and an HTML version. */
export interface Mail {
  kind: MailKind;
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Waits before the 2nd, 3rd… attempt: about six minutes in all, long enough for an SMTP server to restart. */
export const MAIL_RETRY_DELAYS_MS = [2_000, 10_000, 60_000, 300_000];

export interface MailerOptions {
  smtpUrl: string;
  from: string;
  logger: Logger;
  metrics: Metrics;
  /** Tests shorten them. */
  retryDelaysMs?: readonly number[];
}

export type Mailer = ReturnType<typeof createMailer>;

/**
 * Sends mail through SMTP with nodemailer (the de facto SMTP client for Node and Bun; it speaks STARTTLS and
 * smtps:// and parses the SMTP_URL). `send` returns at once and delivers in the background, so no API answer waits
 * for, or depends on, a mail server: one that is down or refuses costs retries with backoff, a log line and a count
 * in `mail_failed_total`, never the user's request. A log line never holds the mail's content (its links carry
 * tokens) nor the address, only the kind and the SMTP error code.
 */
export function createMailer({ smtpUrl, from, logger, metrics, retryDelaysMs = MAIL_RETRY_DELAYS_MS }: MailerOptions) {
  // No pool: mail is rare here, and a connection per mail holds nothing open between them.
  const transport = nodemailer.createTransport({
    url: smtpUrl,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  const sent = metrics.counter("mail_sent_total", "Emails the SMTP server accepted, by kind", ["kind"]);
  const failed = metrics.counter("mail_failed_total", "Emails given up on after every attempt, by kind", ["kind"]);

  async function deliver({ kind, to, subject, text, html }: Mail, requestId: string) {
    for (let attempt = 1; ; attempt++) {
      try {
        await transport.sendMail({ from, to, subject, text, html });
        sent({ kind });
        logger.info({ requestId, kind, attempt }, "mail sent");
        return;
      } catch (error) {
        // The message and the server's response can quote the recipient: only codes are logged.
        const { code, responseCode } = error as { code?: string; responseCode?: number };
        const details = { requestId, kind, attempt, code, responseCode };
        const delay = retryDelaysMs[attempt - 1];
        // A 5xx answer is the server's final word on this message; anything else may pass later.
        if (delay === undefined || (responseCode ?? 0) >= 500) {
          failed({ kind });
          logger.error(details, "mail not delivered; giving up");
          return;
        }
        logger.warn({ ...details, retryInMs: delay }, "mail not delivered yet; retrying");
        await Bun.sleep(delay);
      }
    }
  }

  return {
    /** Delivers `mail` in the background (see above); never throws. */
    send(mail: Mail, requestId: string): void {
      void deliver(mail, requestId);
    },
  };
}
