import { Elysia } from "elysia";
import type { ClientAddressResolver } from "./service.ts";

/** Gives handlers `clientAddress`: the bucket the request's client is counted in (see the resolver). */
export const clientAddress = (resolve: ClientAddressResolver) =>
  new Elysia({ name: "client-address" }).derive({ as: "scoped" }, ({ request, server }) => ({
    clientAddress: resolve(server?.requestIP(request)?.address, request.headers.get("x-forwarded-for")),
  }));
