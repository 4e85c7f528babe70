import type { Connection } from "mongoose";
import { verificationTokensCollectionName } from "./email-verification/collection.ts";
import { mailQuotasCollectionName } from "./mail/collection.ts";
import { ensureTtlIndex } from "./mongodb.ts";
import { resetTokensCollectionName } from "./password-reset/collection.ts";

interface IndexLog {
  warn(details: object, message: string): void;
}

/**
 * The indexes of the collections whose documents expire (one-time tokens, mail quotas): a TTL index on `expiresAt`
 * lets MongoDB delete them once expired, and reset tokens are found by user to void older ones. Expiry itself never
 * depends on the TTL index (MongoDB deletes only once a minute): every query checks `expiresAt`. Idempotent.
 */
export async function prepareExpiringCollections(db: Connection, log: IndexLog): Promise<void> {
  const withoutTtl: string[] = [];
  for (const name of [verificationTokensCollectionName, resetTokensCollectionName, mailQuotasCollectionName])
    if (!(await ensureTtlIndex(db, name, "expiresAt"))) withoutTtl.push(name);
  if (withoutTtl.length > 0)
    log.warn({ collections: withoutTtl }, "this database has no TTL indexes: expired documents stay (and are refused)");
  await db.collection(resetTokensCollectionName).createIndex({ userId: 1 }, { name: "userId_1" });
}
