import type { Types } from "mongoose";
import type { StoredMfa } from "../mfa/collection.ts";
import { mfaStatus } from "../mfa/status.ts";
import type { User } from "./schemas.ts";

/** The fields of a stored user that its public shape (`User`) is made of. */
export type StoredUser = {
  _id: Types.ObjectId;
  email: string;
  createdAt?: Date;
  emailVerified?: boolean;
  mfa?: StoredMfa;
};

/** A stored user as responses show it. Seed-era documents have no `createdAt`; their ObjectId still records when they were made. */
export const toUser = ({ _id, email, createdAt, emailVerified, mfa }: StoredUser): User => ({
  id: String(_id),
  email,
  createdAt: (createdAt ?? _id.getTimestamp()).toISOString(),
  emailVerified: emailVerified === true,
  mfa: mfaStatus(mfa),
});
