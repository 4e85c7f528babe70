import { type Static, t } from "elysia";

/** Every kind of event the audit trail records; docs/operations.md, "Audit trail", says when each is written. */
/** Every kind of event the trail records. */
export const AUDIT_EVENT_TYPES = [
  "account.created",
  "account.deleted",
  "login.succeeded",
  "login.failed",
  "login.throttled",
  "mfa.succeeded",
  "mfa.failed",
  "mfa.totp_enabled",
  "mfa.totp_disabled",
  "mfa.recovery_codes_regenerated",
  "mfa.recovery_code_used",
  "session.refresh_token_reused",
  "session.logged_out",
  "session.revoked",
  "password.changed",
  "password.reset_requested",
  "password.reset",
  "email.verified",
  "email.change_requested",
  "email.changed",
  "email.reverted",
  "account.disabled",
  "account.enabled",
  "admin.users_searched",
  "admin.user_viewed",
  "admin.sessions_ended",
  "admin.mfa_reset",
  "admin.password_reset_sent",
  "admin.audit_read",
] as const;
export const AuditEventType = t.UnionEnum(AUDIT_EVENT_TYPES);
export type AuditEventType = Static<typeof AuditEventType>;

export const AuditActor = t.UnionEnum(["user", "admin", "system"], {
  description: "who acted: the account's user (or whoever holds its credentials or links), an admin, or the service",
});
export type AuditActor = Static<typeof AuditActor>;

/** The request an event comes from: its controller makes it and passes it to the services that record events. */
export const AuditContext = t.Object({
  ip: t.String(),
  userAgent: t.Union([t.String(), t.Null()]),
  requestId: t.String(),
  actor: AuditActor,
});
export type AuditContext = Static<typeof AuditContext>;

/** Whom an event is about: the account's id when known, and the address the request named or the account had. */
export const AuditSubject = t.Object({ userId: t.Optional(t.String()), email: t.Optional(t.String()) });
export type AuditSubject = Static<typeof AuditSubject>;

export const AuditEvent = t.Object({
  type: AuditEventType,
  at: t.String({ format: "date-time" }),
  userId: t.Optional(t.String()),
  email: t.Optional(t.String()),
  actor: AuditActor,
  ip: t.String({ description: "the client's address, as throttling counts it (X-Forwarded-For from TRUSTED_PROXIES)" }),
  userAgent: t.Union([t.String(), t.Null()]),
  requestId: t.String({ description: "the request's x-request-id, to find its log lines" }),
});
export type AuditEvent = Static<typeof AuditEvent>;

/** Opaque to clients: the last event of a page, `<at in ms>.<id>`. */
export const AuditCursor = t.String({ pattern: "^\\d{1,15}\\.[0-9a-f]{24}$" });

export const AUDIT_PAGE_LIMIT_MAX = 100;
export const AUDIT_PAGE_LIMIT_DEFAULT = 20;

export const SecurityEventsQuery = t.Object({
  limit: t.Optional(t.Integer({ minimum: 1, maximum: AUDIT_PAGE_LIMIT_MAX, default: AUDIT_PAGE_LIMIT_DEFAULT })),
  after: t.Optional({ ...AuditCursor, description: "`next` of the previous page" }),
});
export type SecurityEventsQuery = Static<typeof SecurityEventsQuery>;

/** `GET /admin/audit`'s filters: one user's events, one type's, or all, newest first. */
export const AuditQuery = t.Object({
  userId: t.Optional(t.String({ pattern: "^[0-9a-f]{24}$", description: "a user's id" })),
  // Literals, not AuditEventType: Elysia gives an optional `t.UnionEnum` in a query its first value when absent.
  type: t.Optional(t.Union(AUDIT_EVENT_TYPES.map((type) => t.Literal(type)))),
  ...SecurityEventsQuery.properties,
});
export type AuditQuery = Static<typeof AuditQuery>;

export const AuditEventPage = t.Object({
  events: t.Array(AuditEvent, { description: "newest first" }),
  next: t.Optional({ ...AuditCursor, description: "present when older events remain: pass it as `after`" }),
});
export type AuditEventPage = Static<typeof AuditEventPage>;
