import { Elysia } from "elysia";
import type { Client } from "../sessions/schemas.ts";
import type { ClientAddressResolver } from "./service.ts";

/**
 * Gives handlers `clientAddress`: the bucket the request's client is counted in (see the resolver), and `client`:
 * that and its user agent, as a session records them.
 */
export const clientAddress = (resolve: ClientAddressResolver) =>
  new Elysia({ name: "client-address" }).derive({ as: "scoped" }, ({ request, server }) => {
    const ip = resolve(server?.requestIP(request)?.address, request.headers.get("x-forwarded-for"));
    const client: Client = { userAgent: request.headers.get("user-agent")?.slice(0, 512) ?? null, ip };
    return { clientAddress: ip, client };
  });
