// The peer's counterparts of our flows in load.ts, through the same load generator.
import { runLoad } from "../load.ts";

const json = (body: unknown) => ({ headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

/** POST /api/auth/sign-up/email, a new address on every request. Better Auth requires a name. */
export function peerSignUp(baseUrl: string, connections: number, seconds: number, password: string, runId: string) {
  let next = 0;
  return runLoad(`${baseUrl}/api/auth/sign-up/email`, connections, seconds, {
    method: "POST",
    setupRequest: (request) => {
      const n = next++;
      return { ...request, ...json({ name: `Bench ${n}`, email: `bench-${runId}-${n}@example.com`, password }) };
    },
  });
}

/** POST /api/auth/sign-in/email, cycling through existing users with their right passwords. */
export function peerSignIn(
  baseUrl: string,
  connections: number,
  seconds: number,
  users: readonly { email: string; password: string }[],
) {
  let next = 0;
  return runLoad(`${baseUrl}/api/auth/sign-in/email`, connections, seconds, {
    method: "POST",
    setupRequest: (request) => ({ ...request, ...json(users[next++ % users.length]) }),
  });
}

/**
 * GET /api/auth/get-session with one session's cookie: its who-am-I (a session and a user read, no cookie cache by
 * default). A bearer token would need its bearer plugin, which is not on by default.
 */
export const peerGetSession = (baseUrl: string, connections: number, seconds: number, cookie: string) =>
  runLoad(`${baseUrl}/api/auth/get-session`, connections, seconds, { method: "GET", headers: { cookie } });

/** Signs a user in and returns its session cookie (`name=value`), as a browser would send it back. */
export async function peerSessionCookie(baseUrl: string, user: { email: string; password: string }) {
  const response = await fetch(`${baseUrl}/api/auth/sign-in/email`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(user),
  });
  const cookie = response.headers.getSetCookie().find((header) => header.includes("session_token="));
  if (!response.ok || !cookie)
    throw new Error(`Better Auth sign-in answered ${response.status}: ${await response.text()}`);
  return cookie.split(";", 1)[0]!;
}

/** Creates the users the sign-in runs cycle through. */
export async function peerSignUpUsers(baseUrl: string, users: readonly { email: string; password: string }[]) {
  for (const [i, user] of users.entries()) {
    const response = await fetch(`${baseUrl}/api/auth/sign-up/email`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: `Bench ${i}`, ...user }),
    });
    if (!response.ok) throw new Error(`Better Auth sign-up answered ${response.status}: ${await response.text()}`);
  }
}
