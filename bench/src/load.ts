import autocannon from "autocannon";
import { watchForeignCpu } from "./cpu.ts";
import { latency, type Latency } from "./stats.ts";

/** What one load run at a fixed number of connections did. */
export interface LoadResult {
  connections: number;
  /** Wall-clock length of the run. */
  seconds: number;
  /** 2xx responses per second. */
  perSecond: number;
  /** Response counts by HTTP status. */
  statuses: Record<string, number>;
  /** Connection errors and timeouts (no response at all). */
  errors: number;
  /** Latency of the 2xx responses. */
  served?: Latency;
  /** Latency of the 503 responses, and how many of them carried Retry-After. */
  rejected?: Latency & { withRetryAfter: number };
  /** Latency of the 429 responses (throttled). */
  throttled?: Latency;
  /** Share of all cores that processes outside the benchmark used during the run. */
  foreignCpu: number;
}

type Request = autocannon.Request;

/**
 * Drives `url` with autocannon: `connections` keep-alive connections, each sending `request` again as soon
 * as its previous response arrives, for `seconds`. `request.setupRequest` may vary each request's body.
 */
export async function runLoad(
  url: string,
  connections: number,
  seconds: number,
  request: Request,
): Promise<LoadResult> {
  const servedMs: number[] = [];
  const rejectedMs: number[] = [];
  const throttledMs: number[] = [];
  let withRetryAfter = 0;
  const foreignCpu = watchForeignCpu();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections,
        duration: seconds,
        requests: [
          {
            ...request,
            onResponse: (status, body, context, headers) => {
              if (typeof request.onResponse === "function") request.onResponse(status, body, context, headers);
              if (status === 503 && Object.keys(headers ?? {}).some((name) => name.toLowerCase() === "retry-after"))
                withRetryAfter++;
            },
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    instance.on("response", (_client, status, _bytes, ms) => {
      if (status >= 200 && status < 300) servedMs.push(ms);
      else if (status === 503) rejectedMs.push(ms);
      else if (status === 429) throttledMs.push(ms);
    });
  });
  const statuses = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([status, { count }]) => [status, count ?? 0]),
  );
  const rejected = latency(rejectedMs);
  return {
    connections,
    seconds: result.duration,
    perSecond: result["2xx"] / result.duration,
    statuses,
    errors: result.errors,
    served: latency(servedMs),
    rejected: rejected && { ...rejected, withRetryAfter },
    throttled: latency(throttledMs),
    foreignCpu: foreignCpu(),
  };
}

/**
 * How many clients the load stands in for. Enough that none reaches a per-client limit within a run (a refresh run's
 * few thousand requests are a handful per client a minute, under 60), few enough that the throttle windows stay a
 * few hundred documents: on FerretDB every lookup scans its collection (see main.ts's step, which also deletes the
 * earlier runs' windows).
 */
export const BENCH_CLIENTS = 512;

/**
 * The client address of request `n`, one of BENCH_CLIENTS in the benchmarking range 198.18.0.0/15 (RFC 2544), sent
 * as X-Forwarded-For: the bench sets TRUSTED_PROXIES to the loopback it connects from, so users-api counts requests
 * by these clients, as behind the ALB. The per-client checks still run (one read and one write each), but the load,
 * one process standing in for many clients, is not refused as the one client it is.
 */
export const forwardedFor = (n: number) => {
  const client = n % BENCH_CLIENTS;
  return `198.18.${client >> 8}.${client & 0xff}`;
};

// setupRequest runs before every request, including the first.
const json = (body: unknown, n: number) => ({
  headers: { "content-type": "application/json", "x-forwarded-for": forwardedFor(n) },
  body: JSON.stringify(body),
});

/** POST /signup, a new address on every request. */
export function signUp(baseUrl: string, connections: number, seconds: number, password: string, runId: string) {
  let next = 0;
  return runLoad(`${baseUrl}/signup`, connections, seconds, {
    method: "POST",
    setupRequest: (request) => {
      const n = next++;
      return { ...request, ...json({ email: `bench-${runId}-${n}@example.com`, password }, n) };
    },
  });
}

/**
 * POST /login, cycling through existing users with their right passwords and, where a user has one, the device token
 * of an earlier login, as returning users' browsers send it (a login without one stores a new token each time).
 */
export function logIn(
  baseUrl: string,
  connections: number,
  seconds: number,
  users: readonly { email: string; password: string; deviceToken?: string }[],
) {
  let next = 0;
  return runLoad(`${baseUrl}/login`, connections, seconds, {
    method: "POST",
    setupRequest: (request) => {
      const n = next++;
      return { ...request, ...json(users[n % users.length], n) };
    },
  });
}

/** GET /user with one valid bearer token: token check plus a database read. */
export const getUser = (baseUrl: string, connections: number, seconds: number, token: string) =>
  runLoad(`${baseUrl}/user`, connections, seconds, { method: "GET", headers: { authorization: `Bearer ${token}` } });

/** GET /health: the framework's own ceiling on this machine. */
export const getHealth = (baseUrl: string, connections: number, seconds: number) =>
  runLoad(`${baseUrl}/health`, connections, seconds, { method: "GET" });

/**
 * POST /refresh along `refreshTokens.length` session chains (one per connection, from logins): each request takes a
 * chain's current token and its answer puts the successor back, or the same token when it got none (a 503: retried,
 * as a client would, within the reuse grace). autocannon resets a connection's context after each request of a
 * one-request sequence, so the chains live here and the context only carries the token sent to its answer.
 */
export function refresh(baseUrl: string, connections: number, seconds: number, refreshTokens: string[]) {
  const available = [...refreshTokens];
  let next = 0;
  type Sent = { sent?: string };
  return runLoad(`${baseUrl}/refresh`, connections, seconds, {
    method: "POST",
    setupRequest: (request, context: Sent) => {
      context.sent = available.shift();
      return { ...request, ...json({ refreshToken: context.sent }, next++) };
    },
    onResponse: (status, body, context: Sent) => {
      available.push(status === 200 ? (JSON.parse(body) as { refreshToken: string }).refreshToken : context.sent!);
    },
  });
}
