import type { Logger } from "@accounts/shared";
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";

/** How long fetched keys are used before they are fetched again (jose's own default). */
const KEYS_MAX_AGE_MS = 600_000;
/**
 * The least time between two fetches. After a key rotation, tokens with the new kid are refused until the keys are
 * fetched again, so a token with an unknown kid fetches at once; one fetch a second bounds what tokens with made-up
 * kids make us fetch.
 */
const FETCH_COOLDOWN_MS = 1_000;

/** The keys could not be fetched, so a token they would have checked cannot be: our caller answers 503. */
export class KeysUnavailableError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

export interface AuthKeysOptions {
  url: URL;
  timeoutMs: number;
  logger: Logger;
  /** Milliseconds since the epoch: when keys are old and when the cooldown ends. */
  clock: () => number;
}

/**
 * auth-api's public keys for jose's `jwtVerify`, fetched from its JWKS and cached. Unlike jose's
 * `createRemoteJWKSet`, which throws once its cache is older than its maximum age and a reload fails (so ten minutes
 * into an auth-api outage every bearer route would answer 503), old keys stay in use until a reload succeeds: keys
 * past their age are fetched again in the background while the request goes on with the ones we have. Only a token
 * whose kid none of them has waits for a fetch.
 */
export function createAuthKeys({ url, timeoutMs, logger, clock }: AuthKeysOptions) {
  let keys: { getKey: JWTVerifyGetKey; fetchedAt: number } | undefined;
  let lastFetchStartedAt = Number.NEGATIVE_INFINITY;
  let lastFetchFailed = false;
  let pending: Promise<void> | undefined;

  async function load(): Promise<void> {
    let response: Response;
    try {
      response = await fetch(url, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      throw new KeysUnavailableError(
        error instanceof Error && error.name === "TimeoutError" ? "keys timeout" : "keys unreachable",
      );
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new KeysUnavailableError(`keys status ${response.status}`);
    }
    try {
      keys = { getKey: createLocalJWKSet((await response.json()) as JSONWebKeySet), fetchedAt: clock() };
    } catch {
      throw new KeysUnavailableError("keys invalid");
    }
  }

  /** A fetch: the one under way, a new one, or none while the last one started less than the cooldown ago. */
  function fetchKeys(): Promise<void> | undefined {
    if (pending) return pending;
    if (clock() - lastFetchStartedAt < FETCH_COOLDOWN_MS) return undefined;
    lastFetchStartedAt = clock();
    const fetching = load().then(
      () => {
        lastFetchFailed = false;
      },
      (error: KeysUnavailableError) => {
        lastFetchFailed = true;
        logger.warn({ reason: error.reason, keptKeys: keys !== undefined }, "auth-api keys not fetched");
        throw error;
      },
    );
    pending = fetching.finally(() => {
      pending = undefined;
    });
    return pending;
  }

  /** After a fetch that failed, within its cooldown: nothing new to check a token against. */
  const unavailable = () => new KeysUnavailableError("keys unavailable");

  const getKey: JWTVerifyGetKey = async (protectedHeader, token) => {
    if (!keys) await (fetchKeys() ?? Promise.reject(unavailable()));
    const current = keys!;
    if (clock() - current.fetchedAt >= KEYS_MAX_AGE_MS) fetchKeys()?.catch(() => {});
    try {
      return await current.getKey(protectedHeader, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      // A kid we have no key for: a key auth-api rotated to since we fetched, or a made-up one.
      const fetching = fetchKeys();
      if (fetching) {
        await fetching;
        return keys!.getKey(protectedHeader, token);
      }
      if (lastFetchFailed) throw unavailable();
      throw error;
    }
  };
  return getKey;
}
