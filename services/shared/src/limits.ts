// Every default and minimum that more than one part of the repository relies on (both services, the manifests,
// the deploy tool, the benchmark). A leaf module, importing nothing, so each of them can import it.

/** Passwords as NIST SP 800-63B allows them for new accounts: at least 8 characters; the cap bounds hashing work. */
export const NEW_PASSWORD_LENGTH = { min: 8, max: 1024 } as const;

/** What login accepts: the seed let 7-character passwords through, and those accounts must still log in. */
export const LOGIN_PASSWORD_LENGTH = { min: 1, max: NEW_PASSWORD_LENGTH.max } as const;

/** The shared INTERNAL_TOKEN must be at least this long (32 random bytes in base64url are 43). */
export const INTERNAL_TOKEN_MIN_LENGTH = 32;

/** OWASP's minimum argon2id cost (19 MiB, 2 passes): the default, and the floor config may not go below. */
export const MIN_HASH_COST = { memoryKiB: 19456, timeCost: 2 } as const;

/**
 * Default hash queue length per hashing slot. A waiting hash holds no argon2 memory (only running ones do), so the
 * queue can be long: 8 per slot lets a burst such as ten sign-ups at once on two cores wait a few hundred
 * milliseconds instead of getting 503, while still bounding how long a request can wait.
 */
export const HASH_QUEUE_PER_SLOT = 8;

/** Log levels a service accepts in LOG_LEVEL, lowest first. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
