// Bounded load on users-api for the fault suite: a few workers, each sending one flow after another.

/** A refresh token a worker holds, replaced by each refresh answered 200; a client keeps one per session. */
export interface RefreshChain {
  refreshToken: string;
}

/** What one flow needs to build a request: a fresh address, an existing account, a valid token, a session to refresh. */
export interface LoadContext {
  nextEmail(): string;
  account(): { email: string; password: string };
  token: string;
  /** A chain no other request is using; `settle` gives it back. */
  takeChain(): RefreshChain;
  /** Gives a chain back: kept when its session lives on, replaced by a fresh login's when it has ended (401). */
  settleChain(chain: RefreshChain, status: Outcome["status"], answer: unknown): Promise<void>;
}

export interface Flow {
  name: string;
  /** The documented operation, `METHOD /path`, whose responses the answers must be among. */
  operation: string;
  /** The status that counts as success. */
  success: number;
  request(context: LoadContext): {
    path: string;
    method: string;
    body?: object;
    token?: string;
    /** The address a sign-up tries to register, or a login logs in with. */
    email?: string;
    /** Called with the answer before the next request of this worker. */
    answered?(status: Outcome["status"], answer: unknown): Promise<void>;
  };
}

export const NEW_PASSWORD = "correct horse battery";

/** The flows under load; one more is one more entry. */
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
    request: ({ account }) => {
      const body = account();
      return { method: "POST", path: "/login", body, email: body.email };
    },
  },
  {
    name: "read user",
    operation: "GET /user",
    success: 200,
    request: ({ token }) => ({ method: "GET", path: "/user", token }),
  },
  {
    name: "refresh",
    operation: "POST /refresh",
    success: 200,
    request: ({ takeChain, settleChain }) => {
      const chain = takeChain();
      return {
        method: "POST",
        path: "/refresh",
        body: { refreshToken: chain.refreshToken },
        answered: (status, answer) => settleChain(chain, status, answer),
      };
    },
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
  /** The address a sign-up tried to register, or a login logged in with. */
  email?: string;
  /** The session a login answered 200 created. */
  sessionId?: string;
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
      const { method, path, body, token, email, answered } = flow.request(context);
      const startedAt = performance.now();
      let status: Outcome["status"] = "no answer";
      let retryAfter: string | null = null;
      let answer: unknown;
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
        const text = await response.text();
        status = response.status;
        retryAfter = response.headers.get("retry-after");
        answer = response.headers.get("content-type")?.includes("json") ? JSON.parse(text) : undefined;
      } catch {
        // Recorded as "no answer", which every check below counts as a failure.
      }
      const ms = performance.now() - startedAt;
      const sessionId =
        flow.name === "login" && status === 200 ? (answer as { sessionId: string }).sessionId : undefined;
      outcomes.push({ flow, status, retryAfter, startedAt, ms, email, sessionId });
      await answered?.(status, answer);
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
