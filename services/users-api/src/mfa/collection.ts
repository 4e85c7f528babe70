/**
 * A user's second factor, in the user's document at `mfa` (only mfa/ writes it). Each change that must hold under
 * concurrency is one conditional write of that document: confirming only the secret that is pending, accepting a
 * TOTP step only past the last one used, a recovery code only while its hash is still listed.
 */
export interface StoredMfa {
  /** A secret enrolled but not confirmed yet, sealed (secret-box.ts); enrolling again replaces it. */
  pendingTotp?: { secret: string; createdAt: Date };
  /** The confirmed authenticator: its sealed secret and the last time step a code was accepted for. */
  totp?: { secret: string; lastStep: number; confirmedAt: Date };
  /** The unused recovery codes' hashes (recovery-codes.ts). */
  recoveryCodes?: string[];
}
