/**
 * A user's second factor, in the user's document at `mfa` (only mfa/ writes it). Each change that must hold under
 * concurrency is one conditional write of that document: confirming only the secret that is pending, accepting a
 * TOTP step only past the last one used, a recovery code only while its hash is still listed, a login's second step
 * only while its challenge is still there.
 */
export interface StoredMfa {
  /** A secret enrolled but not confirmed yet, sealed (secret-box.ts); enrolling again replaces it. */
  pendingTotp?: { secret: string; createdAt: Date };
  /** The confirmed authenticator: its sealed secret and the last time step a code was accepted for. */
  totp?: { secret: string; lastStep: number; confirmedAt: Date };
  /** The unused recovery codes' hashes (recovery-codes.ts). */
  recoveryCodes?: string[];
  /** Logins waiting for their second step, by challenge id (challenge.ts). */
  challenges?: Record<string, StoredChallenge>;
}

/** A login whose password was right, waiting for a code: what its mfaToken opens, once. */
export interface StoredChallenge {
  /** SHA-256 of the mfaToken; the token itself is never stored. */
  tokenHash: string;
  /**
   * The password hash the first step checked: the session is opened only while it is still the account's, so a
   * password change or reset voids every waiting login (the same document holds the hash already).
   */
  passwordHash: string;
  /** Wrong codes presented with it; at MFA_TOKEN_FAILURES it is dead, even for the right code. */
  failures: number;
  createdAt: Date;
  expiresAt: Date;
}
