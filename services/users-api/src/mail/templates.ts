import { EMAIL_CHANGE_CONFIRM_TTL_MS, EMAIL_CHANGE_REVERT_TTL_MS } from "../email-change/collection.ts";
import { RESET_TOKEN_TTL_MS, VERIFICATION_TOKEN_TTL_MS } from "../one-time-token.ts";
import type { Mail } from "./service.ts";

const hours = (ms: number) => ms / 3_600_000;
const minutes = (ms: number) => ms / 60_000;
const days = (ms: number) => ms / 86_400_000;

// A plain, single-column HTML part with the link also written out, for clients that show the HTML only.
const html = (paragraphs: string[], link?: { href: string; label: string }) =>
  [
    '<!doctype html><html><body style="font-family: sans-serif; line-height: 1.5">',
    ...paragraphs.map((text) => `<p>${Bun.escapeHTML(text)}</p>`),
    ...(link
      ? [
          `<p><a href="${Bun.escapeHTML(link.href)}">${Bun.escapeHTML(link.label)}</a></p>`,
          `<p style="color: #555">${Bun.escapeHTML(link.href)}</p>`,
        ]
      : []),
    "</body></html>",
  ].join("\n");

/** The link that proves `to` reads mail sent to it. */
export function verificationMail(to: string, link: string): Mail {
  const lines = [
    "Please confirm that this is your email address by opening the link below.",
    `The link works once and for ${hours(VERIFICATION_TOKEN_TTL_MS)} hours. If you did not sign up, ignore this email.`,
  ];
  return {
    kind: "verification",
    to,
    subject: "Confirm your email address",
    text: `${lines.join("\n\n")}\n\n${link}\n`,
    html: html(lines, { href: link, label: "Confirm my email address" }),
  };
}

/** The link that lets the reader of `to` choose a new password. */
export function passwordResetMail(to: string, link: string): Mail {
  const lines = [
    "Someone asked to reset the password of the account with this email address. Open the link below to choose a new one.",
    `The link works once and for ${minutes(RESET_TOKEN_TTL_MS)} minutes. If it was not you, ignore this email: your password stays as it is.`,
  ];
  return {
    kind: "password-reset",
    to,
    subject: "Reset your password",
    text: `${lines.join("\n\n")}\n\n${link}\n`,
    html: html(lines, { href: link, label: "Choose a new password" }),
  };
}

/** The security notice after a password change or reset: no link, nothing to act on but a warning. */
export function passwordChangedMail(to: string): Mail {
  const lines = [
    "The password of your account was just changed, and every session was logged out.",
    "If you did this, there is nothing more to do. If you did not, reset your password now and check your email account's security.",
  ];
  return {
    kind: "password-changed",
    to,
    subject: "Your password was changed",
    text: `${lines.join("\n\n")}\n`,
    html: html(lines),
  };
}

/** The security notice after TOTP was turned on. */
export function totpEnabledMail(to: string): Mail {
  const lines = [
    "Two-step login was just turned on for your account: from now on a login asks for a code from your authenticator app after the password. Every other session was logged out.",
    "If you did this, keep your recovery codes somewhere safe. If you did not, reset your password now and check your email account's security.",
  ];
  return {
    kind: "totp-enabled",
    to,
    subject: "Two-step login is on",
    text: `${lines.join("\n\n")}\n`,
    html: html(lines),
  };
}

/** The security notice after new recovery codes replaced the old ones. */
export function recoveryCodesRegeneratedMail(to: string): Mail {
  const lines = [
    "New recovery codes were just made for your account; the old ones no longer work.",
    "If you did this, keep the new codes somewhere safe. If you did not, reset your password now and check your email account's security.",
  ];
  return {
    kind: "recovery-codes-regenerated",
    to,
    subject: "New recovery codes",
    text: `${lines.join("\n\n")}\n`,
    html: html(lines),
  };
}

/** The security notice after TOTP was turned off. */
export function totpDisabledMail(to: string): Mail {
  const lines = [
    "Two-step login was just turned off for your account: a login now asks for the password only. Every other session was logged out.",
    "If you did not do this, reset your password now, turn two-step login on again and check your email account's security.",
  ];
  return {
    kind: "totp-disabled",
    to,
    subject: "Two-step login is off",
    text: `${lines.join("\n\n")}\n`,
    html: html(lines),
  };
}

/** The notice after an operator turned TOTP off, at the owner's request (admin/). */
export function totpResetByOperatorMail(to: string): Mail {
  const lines = [
    "Support turned two-step login off for your account: a login now asks for the password only. Every session was logged out.",
    "If you did not ask for this, reset your password now, turn two-step login on again and contact support.",
  ];
  return {
    kind: "totp-reset",
    to,
    subject: "Two-step login was turned off by support",
    text: `${lines.join("\n\n")}\n`,
    html: html(lines),
  };
}

/** The link that moves an account to `to`, once it proves its reader asked for that. */
export function emailChangeMail(to: string, link: string): Mail {
  const lines = [
    "Someone asked to move their account to this email address. Open the link below to confirm that this address is yours: the account then logs in with it, and every session is logged out.",
    `The link works once and for ${hours(EMAIL_CHANGE_CONFIRM_TTL_MS)} hours. If you did not ask for this, ignore this email: nothing changes.`,
  ];
  return {
    kind: "email-change",
    to,
    subject: "Confirm your new email address",
    text: `${lines.join("\n\n")}\n\n${link}\n`,
    html: html(lines, { href: link, label: "Confirm my new email address" }),
  };
}

/** What an address that has an account gets instead of a link, so that asking for it tells the asker nothing. */
export function emailChangeTakenMail(to: string): Mail {
  const lines = [
    "Someone asked to move an account to this email address. This address has an account already, so nothing was changed.",
    "If it was you, log in with this address instead. If it was not, there is nothing to do.",
  ];
  return {
    kind: "email-change-taken",
    to,
    subject: "Someone tried to move an account to this address",
    text: `${lines.join("\n\n")}\n`,
    html: html(lines),
  };
}

/** The notice to the old address after a change, with the link that undoes it. */
export function emailChangedMail(to: string, newEmail: string, link: string): Mail {
  const lines = [
    `The email address of your account was just changed to ${newEmail}, and every session was logged out.`,
    `If you did this, there is nothing more to do. If you did not, open the link below within ${days(EMAIL_CHANGE_REVERT_TTL_MS)} days: your account gets this address back, every session and remembered device is logged out, and we send you a link to choose a new password.`,
  ];
  return {
    kind: "email-changed",
    to,
    subject: "Your email address was changed",
    text: `${lines.join("\n\n")}\n\n${link}\n`,
    html: html(lines, { href: link, label: "Undo the change" }),
  };
}
