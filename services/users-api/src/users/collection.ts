import { Schema, type Connection, type Model } from "mongoose";

/**
 * Lower-cased and trimmed, the one form addresses are stored, looked up and compared in. Applied in two
 * places only: the users controller's transform, to every address a request brings (before validation,
 * so sign-up's format check sees what will be stored), and the migration, to what the seed stored as typed.
 */
export const normalizeEmail = (email: string) => email.trim().toLowerCase();

interface UserFields {
  email: string;
  password: string;
  /** The user's live sessions, so one read of the user checks a token's session too (see sessions/queries.ts). */
  sessionIds?: string[];
  createdAt?: Date;
}
interface UserAliases {
  passwordHash: string;
}

const userSchema = new Schema<UserFields, Model<UserFields, {}, {}, UserAliases>, {}, {}, UserAliases>(
  {
    email: { type: String, required: true, unique: true },
    // The seed's Express services stored the hash as `password`; the field keeps that name so
    // their documents still log in, and code reads it as `passwordHash`. Loaded only for login.
    password: { type: String, required: true, select: false, alias: "passwordHash" },
    sessionIds: { type: [String], select: false, default: undefined },
  },
  // Seed-era documents lack `createdAt`; `present` in service.ts falls back to the ObjectId's time.
  { collection: "users", timestamps: { createdAt: true, updatedAt: false }, versionKey: false },
);

export const usersCollection = (db: Connection) => db.model("User", userSchema);
export type UsersCollection = ReturnType<typeof usersCollection>;
