import { randomBytes } from "node:crypto";

/** A fresh INTERNAL_TOKEN: 32 random bytes, base64url (43 characters). */
export const generateInternalToken = () => randomBytes(32).toString("base64url");

/** A new AES-256 key for MFA_ENCRYPTION_KEY: 32 random bytes in base64. */
export const generateEncryptionKey = () => randomBytes(32).toString("base64");
