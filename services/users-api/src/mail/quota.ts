import { isDuplicateKey, orUnavailable } from "../mongodb.ts";
import { tokenHash } from "../secret-token.ts";
import type { MailQuotasCollection } from "./collection.ts";

/** At most one mail of a kind per account (verification) or address (reset) in this long. */
export const MAIL_INTERVAL_MS = 60_000;

export type MailQuota = ReturnType<typeof createMailQuota>;

/**
 * One mail per key per MAIL_INTERVAL_MS, decided by MongoDB so every replica agrees. `now` is milliseconds since the
 * epoch (the app's clock).
 */
export function createMailQuota(quotas: MailQuotasCollection, now: () => number) {
  return {
    /**
     * Takes the key's mail for this interval: true if it was free. One write: the upsert matches only an expired
     * entry; when a live one exists the upsert's insert hits the `_id` and fails, so concurrent calls get one true.
     */
    async take(key: string): Promise<boolean> {
      const at = now();
      try {
        await orUnavailable(
          quotas.updateOne(
            { _id: tokenHash(key), expiresAt: { $lte: new Date(at) } },
            { $set: { expiresAt: new Date(at + MAIL_INTERVAL_MS) } },
            { upsert: true },
          ),
        );
        return true;
      } catch (error) {
        if (isDuplicateKey(error)) return false;
        throw error;
      }
    },

    /** Whole seconds until the key may get a mail again (at least 1), for Retry-After. */
    async secondsLeft(key: string): Promise<number> {
      const entry = await orUnavailable(quotas.findById(tokenHash(key)).lean());
      return Math.max(1, Math.ceil(((entry?.expiresAt.getTime() ?? 0) - now()) / 1000));
    },
  };
}
