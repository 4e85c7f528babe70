import { Schema, type Connection, type Model } from "mongoose";

/** Lower-cased and trimmed, the form every address is stored and looked up in. */
export const normalizeEmail = (email: string) => email.trim().toLowerCase();

interface UserFields {
  email: string;
  password: string;
  createdAt?: Date;
}
interface UserAliases {
  passwordHash: string;
}

const userSchema = new Schema<UserFields, Model<UserFields, {}, {}, UserAliases>, {}, {}, UserAliases>(
  {
    email: { type: String, required: true, unique: true, trim: true, lowercase: true },
    // The seed's Express services stored the hash as `password`; the field keeps that name so
    // their documents still log in, and code reads it as `passwordHash`. Loaded only for login.
    password: { type: String, required: true, select: false, alias: "passwordHash" },
  },
  // Seed-era documents lack `createdAt`; `createdAtOf` falls back to the ObjectId's time.
  { collection: "users", timestamps: { createdAt: true, updatedAt: false }, versionKey: false },
);

export const usersCollection = (db: Connection) => db.model("User", userSchema);
export type UsersCollection = ReturnType<typeof usersCollection>;
