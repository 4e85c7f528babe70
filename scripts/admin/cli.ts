import { parseArgs } from "node:util";
import type { KubeConfig } from "@kubernetes/client-node";
import { clusterFromFlags, isUsageError, kubeErrorHint, UsageError } from "../deploy/connect.ts";
import { readDevAdmin } from "./dev-credentials.ts";
import { type AdminForward, openAdminForward } from "./port-forward.ts";

export const usage = `Usage:
  bun run admin users find <email prefix> [--limit <n>] [--after <cursor>]
  bun run admin users show <id>
  bun run admin users disable <id> --reason <why>
  bun run admin users enable|logout|reset-mfa|reset-password|delete <id>
  bun run admin audit [--user <id>] [--type <event type>] [--limit <n>] [--after <cursor>]

Where: ADMIN_URL (default: the running \`bun run dev\`'s, else http://localhost:3002) with ADMIN_TOKEN from the
environment (against \`bun run dev\` it is found by itself), or a cluster's admin Service through a port-forward:
  --eks-cluster <name> [--region <aws region>] | --kubeconfig <file> [--context <name>]   (ADMIN_TOKEN required)

Options:
  --json   print the API's JSON instead of tables`;

type Target = { url: string; token: string; forward?: AdminForward; close: () => void };

/** The route and method of each action on one user. */
const userActions: Record<string, { method: string; path: (id: string) => string; needsReason?: true }> = {
  show: { method: "GET", path: (id) => `/admin/users/${id}` },
  disable: { method: "POST", path: (id) => `/admin/users/${id}/disable`, needsReason: true },
  enable: { method: "POST", path: (id) => `/admin/users/${id}/enable` },
  logout: { method: "POST", path: (id) => `/admin/users/${id}/logout` },
  "reset-mfa": { method: "DELETE", path: (id) => `/admin/users/${id}/mfa` },
  "reset-password": { method: "POST", path: (id) => `/admin/users/${id}/password-reset` },
  delete: { method: "DELETE", path: (id) => `/admin/users/${id}` },
};

/** Exit codes: 0 done, 1 the service refused or could not be reached, 2 bad input. */
export async function main(
  argv: string[],
  deps: {
    env: Record<string, string | undefined>;
    log: (line: string) => void;
    /** Where the manifests put the admin Service; the tests deploy to a namespace of their own. */
    namespace?: string;
  },
): Promise<number> {
  let target: Target | undefined;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: "boolean" },
        reason: { type: "string" },
        limit: { type: "string" },
        after: { type: "string" },
        user: { type: "string" },
        type: { type: "string" },
        "eks-cluster": { type: "string" },
        region: { type: "string" },
        kubeconfig: { type: "string" },
        context: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
    if (values.help) {
      deps.log(usage);
      return 0;
    }
    const [group, action, argument] = positionals;
    const auditing = group === "audit" && positionals.length === 1;
    if (!auditing && (group !== "users" || action === undefined || argument === undefined || positionals.length > 3))
      throw new UsageError("name a users action and its argument, or audit");
    const request = auditing ? auditRequest(values) : requestOf(action!, argument!, values);
    const connect = clusterFromFlags(values);
    target = connect ? await throughCluster(connect, deps.env, deps.namespace) : direct(deps.env);
    const response = await send(target, request);
    const text = await response.text();
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    if (!response.ok) {
      deps.log(`error: ${response.status} ${(body?.detail as string | undefined) ?? (body?.title as string) ?? ""}`);
      return 1;
    }
    if (values.json) deps.log(JSON.stringify(body ?? { status: response.status }, null, 2));
    else for (const line of auditing ? describeEvents(body) : describe(action!, argument!, body)) deps.log(line);
    return 0;
  } catch (error) {
    if (isUsageError(error)) {
      deps.log(`error: ${(error as Error).message}\n\n${usage}`);
      return 2;
    }
    deps.log(`error: ${(error as Error).message}${kubeErrorHint(error)}`);
    return 1;
  } finally {
    target?.close();
  }
}

function requestOf(
  action: string,
  argument: string,
  values: { reason?: string; limit?: string; after?: string },
): { method: string; path: string; body?: object } {
  if (action === "find") {
    const query = new URLSearchParams({ email: argument });
    if (values.limit) query.set("limit", values.limit);
    if (values.after) query.set("after", values.after);
    return { method: "GET", path: `/admin/users?${query}` };
  }
  const known = userActions[action];
  if (!known) throw new UsageError(`unknown action ${JSON.stringify(action)}`);
  if (known.needsReason && !values.reason) throw new UsageError(`${action} needs --reason`);
  const id = encodeURIComponent(argument);
  return { method: known.method, path: known.path(id), ...(known.needsReason && { body: { reason: values.reason } }) };
}

/** `GET /admin/audit` with the filters given. */
function auditRequest(values: { user?: string; type?: string; limit?: string; after?: string }): {
  method: string;
  path: string;
  body?: object;
} {
  const query = new URLSearchParams();
  for (const [name, value] of [
    ["userId", values.user],
    ["type", values.type],
    ["limit", values.limit],
    ["after", values.after],
  ] as const)
    if (value) query.set(name, value);
  return { method: "GET", path: `/admin/audit?${query}` };
}

/** ADMIN_URL with ADMIN_TOKEN; against the running dev system, its own token when ADMIN_TOKEN is unset. */
function direct(env: Record<string, string | undefined>): Target {
  const dev = readDevAdmin();
  const url = env.ADMIN_URL ?? dev?.url ?? "http://localhost:3002";
  const token = env.ADMIN_TOKEN ?? (dev?.url === url ? dev.token : undefined);
  if (!token) throw new UsageError(`ADMIN_TOKEN is not set (needed for ${url})`);
  return { url, token, close: () => {} };
}

async function throughCluster(
  connect: () => Promise<KubeConfig>,
  env: Record<string, string | undefined>,
  namespace: string | undefined,
): Promise<Target> {
  const token = env.ADMIN_TOKEN;
  if (!token) throw new UsageError("ADMIN_TOKEN is not set: the cluster's is in its users-api-admin-token Secret");
  const forward = await openAdminForward(await connect(), { namespace });
  return { url: forward.url, token, forward, close: () => forward.close() };
}

/** The request, and when it finds no answer, why: through a cluster, the forward's own failure. */
async function send(target: Target, request: { method: string; path: string; body?: object }): Promise<Response> {
  try {
    return await fetch(`${target.url}${request.path}`, {
      method: request.method,
      headers: {
        authorization: `Bearer ${target.token}`,
        ...(request.body && { "content-type": "application/json" }),
      },
      body: request.body && JSON.stringify(request.body),
    });
  } catch (error) {
    const forwardFailure = target.forward?.failure();
    if (forwardFailure) throw forwardFailure;
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const where = target.forward
      ? `pod ${target.forward.namespace}/${target.forward.pod} through a port-forward`
      : target.url;
    throw new Error(
      `no answer from the admin listener (${where}): ${cause?.code ?? cause?.message ?? (error as Error).message}`,
    );
  }
}

interface AdminUser {
  id: string;
  email: string;
  createdAt: string;
  emailVerified: boolean;
  disabled: boolean;
  mfa: { totp: boolean };
  lastLoginAt: string | null;
}

const yesNo = (value: boolean) => (value ? "yes" : "no");

/** Columns padded to their widest cell. */
function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join("  ")
      .trimEnd(),
  );
}

const userRows = (users: AdminUser[]) => [
  ["ID", "EMAIL", "CREATED", "VERIFIED", "DISABLED", "TOTP", "LAST LOGIN"],
  ...users.map((user) => [
    user.id,
    user.email,
    user.createdAt,
    yesNo(user.emailVerified),
    yesNo(user.disabled),
    yesNo(user.mfa.totp),
    user.lastLoginAt ?? "-",
  ]),
];

interface AuditEvent {
  type: string;
  at: string;
  userId?: string;
  email?: string;
  actor: string;
  ip: string;
  userAgent: string | null;
}

/** The audit trail's page as a table, newest first. */
function describeEvents(body: Record<string, unknown> | undefined): string[] {
  const { events, next } = body as { events: AuditEvent[]; next?: string };
  if (events.length === 0) return ["no events"];
  return [
    ...table([
      ["AT", "TYPE", "ACTOR", "USER", "EMAIL", "IP", "USER AGENT"],
      ...events.map((event) => [
        event.at,
        event.type,
        event.actor,
        event.userId ?? "-",
        event.email ?? "-",
        event.ip,
        event.userAgent ?? "-",
      ]),
    ]),
    ...(next ? [`more: --after ${next}`] : []),
  ];
}

/** What a person reads after each action. */
function describe(action: string, argument: string, body: Record<string, unknown> | undefined): string[] {
  if (action === "find") {
    const { users, next } = body as { users: AdminUser[]; next: string | null };
    if (users.length === 0) return [`no user's address starts with ${argument}`];
    return [...table(userRows(users)), ...(next ? [`more: --after ${next}`] : [])];
  }
  if (action === "show") {
    const { user, sessions } = body as {
      user: AdminUser;
      sessions: { id: string; createdAt: string; lastUsedAt: string; ip: string; userAgent: string | null }[];
    };
    return [
      ...table(userRows([user])),
      "",
      ...(sessions.length === 0
        ? ["no live sessions"]
        : table([
            ["SESSION", "CREATED", "LAST USED", "IP", "USER AGENT"],
            ...sessions.map((session) => [
              session.id,
              session.createdAt,
              session.lastUsedAt,
              session.ip,
              session.userAgent ?? "-",
            ]),
          ])),
    ];
  }
  const done: Record<string, string> = {
    disable: "disabled: its sessions and device tokens ended",
    enable: "enabled",
    logout: "every session ended",
    "reset-mfa": "TOTP and recovery codes removed; every session ended; the user was notified",
    "reset-password": "a password reset link is on its way to the user",
    delete: "deleted",
  };
  return [`${argument}: ${done[action]}`];
}
