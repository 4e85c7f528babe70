// Bounded load on users-api for the fault suite: a few workers, each sending one flow after another.

/** What one flow needs to build a request: a fresh address, an existing account, a valid token. */
export interface LoadContext {
  nextEmail(): string;
  account(): { email: string; password: string };
  token: string;
}

export interface Flow {
  name: string;
  /** The documented operation, `METHOD /path`, whose responses the answers must be among. */
  operation: string;
  /** The status that counts as success. */
  success: number;
  request(context: LoadContext): { path: string; method: string; body?: object; token?: string; email?: string };
}

export const NEW_PASSWORD = "correct horse battery";

/** The flows under load; one more is one more line (POST /refresh once sessions land). */
export const flows: Flow[] = [
  {
    name: "sign-up",
    operation: "POST /signup",
    success: 201,
    request: ({ nextEmail }) => {
      const email = nextEmail();
      return { method: "POST", path: "/signup", body: { email, password: NEW_PASSWORD }, email };
    },
  },
  {
    name: "login",
    operation: "POST /login",
    success: 200,
    request: ({ account }) => ({ method: "POST", path: "/login", body: account() }),
  },
  {
    name: "read user",
    operation: "GET /user",
    success: 200,
    request: ({ token }) => ({ method: "GET", path: "/user", token }),
  },
];

export interface Outcome {
  flow: Flow;
  /** The HTTP status, or "no answer" when the request failed or passed `timeoutMs` without one. */
  status: number | "no answer";
  retryAfter: string | null;
  /** When it was sent, in ms on the performance clock, and how long the answer took. */
  startedAt: number;
  ms: number;
  /** The address a sign-up tried to register. */
  email?: string;
}

export const succeeded = (outcome: Outcome) => outcome.status === outcome.flow.success;

/** Starts `workers` loops sending the flows in turn to `url` until `stop()` resolves with every outcome. */
export function startLoad(
  url: string,
  context: LoadContext,
  { workers, timeoutMs }: { workers: number; timeoutMs: number },
) {
  const outcomes: Outcome[] = [];
  let running = true;
  let turn = 0;
  const worker = async () => {
    while (running) {
      const flow = flows[turn++ % flows.length]!;
      const { method, path, body, token, email } = flow.request(context);
      const startedAt = performance.now();
      let status: Outcome["status"] = "no answer";
      let retryAfter: string | null = null;
      try {
        const response = await fetch(`${url}${path}`, {
          method,
          headers: {
            ...(body ? { "content-type": "application/json" } : {}),
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: body && JSON.stringify(body),
          signal: AbortSignal.timeout(timeoutMs),
        });
        await response.arrayBuffer();
        status = response.status;
        retryAfter = response.headers.get("retry-after");
      } catch {
        // Recorded as "no answer", which every check below counts as a failure.
      }
      outcomes.push({ flow, status, retryAfter, startedAt, ms: performance.now() - startedAt, email });
    }
  };
  const done = Promise.all(Array.from({ length: workers }, worker));
  return {
    outcomes,
    async stop() {
      running = false;
      await done;
      return outcomes;
    },
  };
}

/** Polls `GET /ready` every `everyMs` until `stop()` resolves with what it saw. */
export function pollReadiness(url: string, everyMs = 250) {
  const seen: { at: number; status: number | "no answer" }[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const at = performance.now();
      const status = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(5_000) }).then(
        async (response) => {
          await response.arrayBuffer();
          return response.status;
        },
        () => "no answer" as const,
      );
      seen.push({ at, status });
      await Bun.sleep(everyMs);
    }
  })();
  return {
    seen,
    async stop() {
      running = false;
      await done;
      return seen;
    },
  };
}
