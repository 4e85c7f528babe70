import type { Client } from "../sessions/schemas.ts";
import type { AuditContext } from "./schemas.ts";

/** The audit context of a request made by the account's user (or whoever holds its credentials or links). */
export const userContext = ({ client, requestId }: { client: Client; requestId: string }): AuditContext => ({
  ...client,
  requestId,
  actor: "user",
});

/** The audit context of a request on the admin listener: an operator, acting from `client`. */
export const adminContext = ({ client, requestId }: { client: Client; requestId: string }): AuditContext => ({
  ...client,
  requestId,
  actor: "admin",
});
