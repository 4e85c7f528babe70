// The script of the pages the links in emails open (served from /pages/app.js: the pages' CSP allows no
// inline script). The links carry the token in the fragment (#token=…), which a browser never sends, so no access log
// between the reader and us records it. First thing, the script takes it from there and removes it from the address
// bar (history, screenshots, a copied address); then it calls the JSON API of the origin that served the page.
// Links mailed before the fragment carry it in the query (?token=…): they still work, and leave the address bar the
// same way, until the last of them expires (a day after the release that moved the token: verification links last
// 24 hours); then the query goes from here.
const tokenIn = (url) =>
  new URLSearchParams(url.hash.slice(1)).get("token") ?? new URLSearchParams(url.search).get("token") ?? "";
let token = tokenIn(location);
history.replaceState(null, "", location.pathname);

const status = document.getElementById("status");
const show = (message, failed) => {
  status.textContent = message;
  status.className = failed ? "failed" : "done";
};

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (response.ok) return undefined;
  const problem = await response.json().catch(() => ({}));
  return problem.errors?.[0]?.message ?? problem.detail ?? "Something went wrong; try again";
}

function handle(form, submit) {
  form?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      await submit(form);
    } catch {
      show("The service could not be reached; try again", true);
    }
    button.disabled = false;
  });
}

if (!token) show("This link has no token: open the link from the email again", true);

// A second link opened in the same tab changes only the fragment: the page stays, so take its token here.
addEventListener("hashchange", () => {
  const next = tokenIn(location);
  history.replaceState(null, "", location.pathname);
  if (!next) return;
  token = next;
  show("", false);
});

handle(document.getElementById("verify-email"), async (form) => {
  const failure = await post("/email/verify", { token });
  if (failure) return show(failure, true);
  form.hidden = true;
  show("Thank you: your email address is confirmed.");
});

handle(document.getElementById("reset-password"), async (form) => {
  const newPassword = form.querySelector("#new-password").value;
  if (newPassword !== form.querySelector("#repeat-password").value)
    return show("The two passwords differ; type the same one twice", true);
  if (newPassword.length < 8) return show("The password needs at least 8 characters", true);
  const failure = await post("/password/reset", { token, newPassword });
  if (failure) return show(failure, true);
  form.hidden = true;
  show("Your password is changed and every session was logged out. Log in with the new password.");
});

handle(document.getElementById("confirm-email-change"), async (form) => {
  const failure = await post("/user/email/confirm", { token });
  if (failure) return show(failure, true);
  form.hidden = true;
  show("Your email address is changed and every session was logged out. Log in with the new address.");
});

handle(document.getElementById("revert-email-change"), async (form) => {
  const failure = await post("/user/email/revert", { token });
  if (failure) return show(failure, true);
  form.hidden = true;
  show(
    "Your account has this address again and every session was logged out. Choose a new password with the link we just sent here.",
  );
});
