// The pages the links in emails open. Static HTML: the token is in the link's fragment, which the request never
// carries; the script reads it from the address bar, so nothing a request carries is ever written into a page.

const layout = (title: string, body: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<link rel="stylesheet" href="/pages/app.css">
<script src="/pages/app.js" defer></script>
</head>
<body>
<main>
<h1>${title}</h1>
${body}
<p id="status" role="status" aria-live="polite"></p>
</main>
</body>
</html>
`;

export const verifyEmailPage = layout(
  "Confirm your email address",
  `<form id="verify-email" novalidate>
<p>Press the button to confirm that this address is yours.</p>
<button type="submit">Confirm my email address</button>
</form>`,
);

export const resetPasswordPage = layout(
  "Choose a new password",
  `<form id="reset-password" novalidate>
<label for="new-password">New password (at least 8 characters)</label>
<input id="new-password" name="newPassword" type="password" autocomplete="new-password" minlength="8" maxlength="1024" required aria-describedby="status">
<label for="repeat-password">The same password again</label>
<input id="repeat-password" type="password" autocomplete="new-password" required>
<button type="submit">Set the new password</button>
</form>`,
);

export const confirmEmailChangePage = layout(
  "Confirm your new email address",
  `<form id="confirm-email-change" novalidate>
<p>Press the button to move your account to this address. Every session is logged out; log in again with this address.</p>
<button type="submit">Confirm my new email address</button>
</form>`,
);

export const revertEmailChangePage = layout(
  "Undo the change of your email address",
  `<form id="revert-email-change" novalidate>
<p>Press the button to give your account this address back. Every session and remembered device is logged out, and a link to choose a new password is sent here.</p>
<button type="submit">Give my account this address back</button>
</form>`,
);
