import { randomBytes } from "node:crypto";
import { Types } from "mongoose";
import { tokenHash } from "../secret-token.ts";
import type { StoredChallenge } from "./collection.ts";

/** How long a login's second step may wait for its code. */
export const MFA_TOKEN_LIFETIME_SECONDS = 300;
/** Wrong codes an mfaToken allows; then it is dead, even for the right code. */
export const MFA_TOKEN_FAILURES = 5;
/** Logins an account keeps waiting at once: the oldest past it goes (each is a right password, so few are real). */
export const MFA_CHALLENGES_PER_ACCOUNT = 10;

/** Where a challenge is stored in its user's document. */
export const challengePath = (challengeId: string) => `mfa.challenges.${challengeId}`;

/**
 * mfaTokens are `<userId>.<challengeId>.<secret>`: 256 random bits, after what locates the challenge (a lookup by
 * `_id`). Opaque to clients.
 */
const MFA_TOKEN = /^([0-9a-f]{24})\.([0-9a-f-]{36})\.[\w-]{43}$/;

export const parseMfaToken = (token: string) => {
  const match = MFA_TOKEN.exec(token);
  return match ? { userId: match[1]!, challengeId: match[2]!, tokenHash: tokenHash(token) } : undefined;
};

/** The `users` filter of a login's second step: the user by `_id`, while it still has the token's challenge. */
export const challengeFilter = ({ userId, challengeId, tokenHash }: NonNullable<ReturnType<typeof parseMfaToken>>) => ({
  _id: new Types.ObjectId(userId),
  [`${challengePath(challengeId)}.tokenHash`]: tokenHash,
});

/**
 * A new challenge for a login whose password `passwordHash` was right, and the existing ones its write removes:
 * the expired, and the oldest past MFA_CHALLENGES_PER_ACCOUNT.
 */
export function newChallenge(
  userId: string,
  passwordHash: string,
  existing: Readonly<Record<string, StoredChallenge>>,
  at: number,
) {
  const challengeId = crypto.randomUUID();
  const mfaToken = `${userId}.${challengeId}.${randomBytes(32).toString("base64url")}`;
  const live = Object.entries(existing)
    .filter(([, challenge]) => challenge.expiresAt.getTime() > at)
    .toSorted(([, a], [, b]) => a.createdAt.getTime() - b.createdAt.getTime())
    .map(([id]) => id);
  const kept = new Set(live.slice(Math.max(0, live.length - (MFA_CHALLENGES_PER_ACCOUNT - 1))));
  return {
    mfaToken,
    challengeId,
    challenge: {
      tokenHash: tokenHash(mfaToken),
      passwordHash,
      failures: 0,
      createdAt: new Date(at),
      expiresAt: new Date(at + MFA_TOKEN_LIFETIME_SECONDS * 1000),
    } satisfies StoredChallenge,
    ended: Object.keys(existing).filter((id) => !kept.has(id)),
  };
}

/** Whether `challenge` still lets a code through at `at`. */
export const challengeOpen = (challenge: StoredChallenge | undefined, at: number): challenge is StoredChallenge =>
  challenge !== undefined && challenge.expiresAt.getTime() > at && challenge.failures < MFA_TOKEN_FAILURES;
