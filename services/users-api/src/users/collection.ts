import { Schema, Types, type Connection, type Model } from "mongoose";
import type { StoredMfa } from "../mfa/collection.ts";
import type { StoredSessions } from "../sessions/collection.ts";

interface UserFields {
  email: string;
  password: string;
  /** The user's sessions, by id: written only by sessions/ (see sessions/collection.ts). */
  sessions?: StoredSessions;
  /** The second factor: written only by mfa/ (see mfa/collection.ts). */
  mfa?: StoredMfa;
  createdAt?: Date;
  /** Seed-era documents lack it: unverified. */
  emailVerified?: boolean;
  /** Set by an operator (admin/): no login opens a session while it is there (see disabled.ts). */
  disabled?: { at: Date; reason: string };
  /** Written by sessions/ in the write that opens a login's session, so reading it costs the login nothing. */
  lastLoginAt?: Date;
}
interface UserAliases {
  passwordHash: string;
}

export const usersCollectionName = "users";

// No query helpers and no instance methods: mongoose's generics between the document type and the aliases.
type None = Record<never, never>;

const userSchema = new Schema<UserFields, Model<UserFields, None, None, UserAliases>, None, None, UserAliases>(
  {
    email: { type: String, required: true, unique: true },
    // The seed's Express services stored the hash as `password`; the field keeps that name so
    // their documents still log in, and code reads it as `passwordHash`. Loaded only for login.
    password: { type: String, required: true, select: false, alias: "passwordHash" },
    sessions: { type: Schema.Types.Mixed, select: false },
    mfa: { type: Schema.Types.Mixed, select: false },
    emailVerified: { type: Boolean },
    disabled: { type: Schema.Types.Mixed },
    lastLoginAt: { type: Date },
  },
  // Seed-era documents lack `createdAt`; `toUser` (user.ts) falls back to the ObjectId's time.
  { collection: usersCollectionName, timestamps: { createdAt: true, updatedAt: false }, versionKey: false },
);

export const usersCollection = (db: Connection) => db.model("User", userSchema);
export type UsersCollection = ReturnType<typeof usersCollection>;

/**
 * A user's document as the schema above stores it (the hash under `password`), for writes that bypass the model:
 * the bench's bulk seeding (seed-accounts.ts).
 */
export const storedUser = ({
  email,
  passwordHash,
  createdAt,
  sessions,
}: {
  email: string;
  passwordHash: string;
  createdAt: Date;
  sessions?: StoredSessions;
}): UserFields => ({
  email,
  password: passwordHash,
  createdAt,
  ...(sessions && { sessions }),
});

/**
 * The filters of the service's queries on request paths, in one place so that test/indexes.test.ts explains these
 * very filters against a real MongoDB and fails when one is not served by an index.
 */
export const userFilters = {
  /** Login. */
  byEmail: (email: string) => ({ email }),
  /** GET and DELETE /user: the token's user. */
  byId: (id: string | Types.ObjectId) => ({ _id: new Types.ObjectId(id) }),
  /**
   * The admin search: addresses starting with `prefix`, after `after` (the last address of the previous page). A
   * range on the email index, not a regex: its bounds come straight from the prefix.
   */
  byEmailPrefix: (prefix: string, after?: string) => {
    const end = successorOf(prefix);
    return {
      email: {
        $gte: prefix,
        ...(end !== undefined && { $lt: end }),
        ...(after !== undefined && { $gt: after }),
      },
    };
  },
};

/**
 * The least string above every string that starts with `prefix`: its last code point raised by one (MongoDB compares
 * strings by their UTF-8 bytes, which order as code points do). Past U+10FFFF that point goes and the one before is
 * raised; undefined when there is no bound (an empty prefix, or one of U+10FFFF only).
 */
export function successorOf(prefix: string): string | undefined {
  const points = Array.from(prefix, (char) => char.codePointAt(0)!);
  while (points.length > 0) {
    const last = points.pop()!;
    if (last < 0x10ffff) {
      // No code point is a lone surrogate: past U+D7FF the next one is U+E000.
      points.push(last === 0xd7ff ? 0xe000 : last + 1);
      return String.fromCodePoint(...points);
    }
  }
  return undefined;
}
