import type { Connection } from "mongoose";
import { auditEventsCollectionName } from "./audit/collection.ts";
import { emailChangeTokensCollectionName } from "./email-change/collection.ts";
import { verificationTokensCollectionName } from "./email-verification/collection.ts";
import { mailQuotasCollectionName } from "./mail/collection.ts";
import { ensureTtlIndex } from "./mongodb.ts";
import { resetTokensCollectionName } from "./password-reset/collection.ts";

interface IndexLog {
  warn(details: object, message: string): void;
}

/**
 * The indexes of the collections whose documents expire (one-time tokens, mail quotas, audit events): a TTL index on `expiresAt`
 * lets MongoDB delete them once expired, and reset and email-change tokens are found by user to void older ones. Expiry of tokens and
 * quotas never depends on the TTL index (MongoDB deletes only once a minute): every query checks `expiresAt`; audit
 * events past their retention merely stay where there is none. Idempotent.
 */
export async function prepareExpiringCollections(db: Connection, log: IndexLog): Promise<void> {
  const withoutTtl: string[] = [];
  const expiring = [
    verificationTokensCollectionName,
    resetTokensCollectionName,
    emailChangeTokensCollectionName,
    mailQuotasCollectionName,
    auditEventsCollectionName,
  ];
  for (const name of expiring) if (!(await ensureTtlIndex(db, name, "expiresAt"))) withoutTtl.push(name);
  if (withoutTtl.length > 0)
    log.warn({ collections: withoutTtl }, "this database has no TTL indexes: expired documents stay (and are refused)");
  for (const name of [resetTokensCollectionName, emailChangeTokensCollectionName])
    await db.collection(name).createIndex({ userId: 1 }, { name: "userId_1" });
}
