import { createHash } from "node:crypto";
import type { Logger, Metrics } from "@accounts/shared";
import { isValidObjectId, Types } from "mongoose";
import { isDuplicateKey, orUnavailable } from "../mongodb.ts";
import type { AuditEventsCollection, StoredAuditEvent } from "./collection.ts";
import type { AuditContext, AuditEvent, AuditEventPage, AuditEventType, AuditSubject } from "./schemas.ts";

/**
 * How long a recorded event may wait before it is stored. Requests never wait for an event: recording only buffers
 * it (and logs it), and one insertMany stores what gathered, so an event adds no database round trip to the request
 * it comes from, and a busy replica stores many events per command.
 */
export const AUDIT_FLUSH_DELAY_MS = 1_000;
/** A buffer this full is stored at once rather than after the delay. */
const FLUSH_AT_EVENTS = 500;
/** recordOnce's keys this replica remembers; past it, the database's duplicate key still keeps the event single. */
const ONCE_KEYS_REMEMBERED = 10_000;

/** An id derived from `key`: the second recording of the same key is a duplicate key, on any replica. */
const idOf = (key: string) => new Types.ObjectId(createHash("sha256").update(key).digest().subarray(0, 12));

const cursorOf = ({ at, _id }: Pick<StoredAuditEvent, "at" | "_id">) => `${at.getTime()}.${_id.toHexString()}`;

const parseCursor = (cursor: string) => {
  const [at, id] = cursor.split(".");
  return { at: new Date(Number(at)), id: new Types.ObjectId(id) };
};

const toAuditEvent = ({ type, at, userId, email, actor, ip, userAgent, requestId }: StoredAuditEvent): AuditEvent => ({
  type,
  at: at.toISOString(),
  ...(userId && { userId: String(userId) }),
  ...(email !== undefined && { email }),
  actor,
  ip,
  userAgent,
  requestId,
});

/** A bulk insert's failed writes, as the driver reports them (one or several), each with its document's index. */
const writeErrorsOf = (error: unknown): { index: number; code?: number }[] | undefined => {
  const writeErrors = (error as { writeErrors?: unknown } | null)?.writeErrors;
  return writeErrors === undefined ? undefined : [writeErrors as { index: number }].flat();
};

export type AuditService = ReturnType<typeof createAuditService>;

export function createAuditService({
  events,
  logger,
  metrics,
  now,
  retentionDays,
}: {
  events: AuditEventsCollection;
  logger: Logger;
  metrics: Metrics;
  /** Milliseconds since the epoch: each event's `at`. */
  now: () => number;
  /** AUDIT_RETENTION_DAYS. */
  retentionDays: number;
}) {
  const countFailed = metrics.counter(
    "audit_events_failed_total",
    "Audit events that could not be stored (each is still in the log)",
  );
  const retentionMs = retentionDays * 24 * 3_600_000;
  let buffer: StoredAuditEvent[] = [];
  let timer: Timer | undefined;
  // Each flush after the one before, so `flush()` resolves once everything recorded until then is stored or given up.
  let flushing = Promise.resolve();
  const onceKeys = new Set<string>();
  const onceEvents = new WeakSet<StoredAuditEvent>();

  async function store(batch: StoredAuditEvent[]): Promise<void> {
    try {
      await orUnavailable(events.collection.insertMany(batch, { ordered: false }));
    } catch (error) {
      // A recordOnce event another replica stored already is no loss.
      const stored = (writeError: { index: number }) =>
        isDuplicateKey(writeError) && onceEvents.has(batch[writeError.index]!);
      const lost = writeErrorsOf(error)?.filter((writeError) => !stored(writeError)).length ?? batch.length;
      if (lost === 0) return;
      countFailed({}, lost);
      // The error's message and code only: the driver's error quotes the documents.
      logger.error({ lost, code: (error as { code?: unknown }).code }, "audit events not stored");
    }
  }

  /** Stores the buffered events; resolves once they, and every event recorded before, are stored or given up. */
  function flush(): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    const batch = buffer;
    buffer = [];
    if (batch.length > 0) flushing = flushing.then(() => store(batch));
    return flushing;
  }

  function add(
    type: AuditEventType,
    context: AuditContext,
    { userId, email }: AuditSubject,
    id: Types.ObjectId,
  ): StoredAuditEvent {
    const at = now();
    const event: StoredAuditEvent = {
      _id: id,
      type,
      at: new Date(at),
      ...(userId && isValidObjectId(userId) && { userId: new Types.ObjectId(userId) }),
      ...(email !== undefined && { email }),
      ...context,
      expiresAt: new Date(at + retentionMs),
    };
    logger.info({ event: type, ...toAuditEvent(event) }, "audit event");
    buffer.push(event);
    if (buffer.length >= FLUSH_AT_EVENTS) void flush();
    else timer ??= setTimeout(flush, AUDIT_FLUSH_DELAY_MS);
    return event;
  }

  return {
    /** Records one event: logged now, stored within AUDIT_FLUSH_DELAY_MS. Never throws, never waits. */
    record(type: AuditEventType, context: AuditContext, subject: AuditSubject = {}): void {
      add(type, context, subject, new Types.ObjectId());
    },

    /**
     * Records the event once per `key` (say, an account's wait): a second call with the same key, on this replica
     * or another, adds nothing.
     */
    recordOnce(key: string, type: AuditEventType, context: AuditContext, subject: AuditSubject = {}): void {
      if (onceKeys.has(key)) return;
      if (onceKeys.size >= ONCE_KEYS_REMEMBERED) onceKeys.clear();
      onceKeys.add(key);
      onceEvents.add(add(type, context, subject, idOf(`${type}:${key}`)));
    },

    flush,

    /**
     * Events newest first, of one user and/or one type if given, `limit` of them after the cursor `after` (the
     * `next` of the page before). Each filter has its index (collection.ts). This replica's buffer is stored first,
     * so a user sees what they just did.
     */
    async list({
      userId,
      type,
      limit,
      after,
    }: {
      userId?: string;
      type?: AuditEventType;
      limit: number;
      after?: string;
    }): Promise<AuditEventPage> {
      await flush();
      const cursor = after === undefined ? undefined : parseCursor(after);
      const filter = {
        ...(userId !== undefined && { userId: new Types.ObjectId(userId) }),
        ...(type !== undefined && { type }),
        ...(cursor && { $or: [{ at: { $lt: cursor.at } }, { at: cursor.at, _id: { $lt: cursor.id } }] }),
      };
      const found = await orUnavailable(
        events
          .find(filter)
          .sort({ at: -1, _id: -1 })
          .limit(limit + 1)
          .lean<StoredAuditEvent[]>(),
      );
      const page = found.slice(0, limit);
      const last = page.at(-1);
      return { events: page.map(toAuditEvent), ...(found.length > limit && last && { next: cursorOf(last) }) };
    },
  };
}
