// Which client a request is counted as: the resolver on its own, then through a listening app, where the peer is the
// socket's (127.0.0.1) and X-Forwarded-For is sent as a proxy would send it.
import { describe, expect, test } from "bun:test";
import { ConfigError } from "@accounts/shared";
import { createClientAddressResolver } from "../src/client-address/service.ts";
import { requestInit, useUsersApi } from "./support.ts";

describe("the client-address resolver", () => {
  test("without TRUSTED_PROXIES the peer is the client and X-Forwarded-For is ignored", () => {
    const resolve = createClientAddressResolver("");
    expect(resolve("203.0.113.5", null)).toBe("203.0.113.5");
    expect(resolve("203.0.113.5", "198.51.100.1")).toBe("203.0.113.5");
    expect(resolve("::ffff:203.0.113.5", "198.51.100.1")).toBe("203.0.113.5");
    expect(resolve(undefined, "198.51.100.1")).toBe("unknown");
  });

  test("behind trusted proxies, X-Forwarded-For is read right to left and the first untrusted address is the client", () => {
    const resolve = createClientAddressResolver("10.0.0.0/16, 127.0.0.1/32");
    // An ALB in the VPC appended the address it saw; what the client wrote to its left is not believed.
    expect(resolve("10.0.3.4", "6.6.6.6, 198.51.100.1")).toBe("198.51.100.1");
    // Trusted hops (a second proxy inside the VPC) are skipped.
    expect(resolve("10.0.3.4", "198.51.100.1, 10.0.9.9")).toBe("198.51.100.1");
    // A peer outside the trusted ranges is the client, whatever it claims.
    expect(resolve("198.51.100.50", "198.51.100.1")).toBe("198.51.100.50");
    // Nothing but trusted hops: the leftmost is as far as the chain goes.
    expect(resolve("10.0.3.4", "10.0.1.1")).toBe("10.0.1.1");
    expect(resolve("10.0.3.4", null)).toBe("10.0.3.4");
    // Garbage where an address should be: the last trusted hop stands for the client.
    expect(resolve("10.0.3.4", "198.51.100.1, not-an-address")).toBe("10.0.3.4");
    // IPv4-mapped peers match IPv4 ranges.
    expect(resolve("::ffff:127.0.0.1", "198.51.100.9")).toBe("198.51.100.9");
  });

  test("IPv6 clients are counted by their /64", () => {
    const resolve = createClientAddressResolver("2001:db8:ffff::/48");
    expect(resolve("2001:db8:1:2::1", null)).toBe("2001:db8:1:2::/64");
    expect(resolve("2001:db8:1:2:aaaa:bbbb:cccc:dddd", null)).toBe("2001:db8:1:2::/64");
    expect(resolve("2001:db8:1:3::1", null)).toBe("2001:db8:1:3::/64");
    expect(resolve("2001:db8:ffff::1", "2001:0db8:0005:0006:0:0:0:7")).toBe("2001:db8:5:6::/64");
  });

  test("a TRUSTED_PROXIES entry that is not a CIDR stops the start, naming the variable only", () => {
    for (const bad of ["10.0.0.0", "10.0.0.0/33", "10.0.0.0/8, nonsense/8", "::1/129"]) {
      const error = (() => {
        try {
          createClientAddressResolver(bad);
        } catch (caught) {
          return caught;
        }
      })();
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain("TRUSTED_PROXIES");
      expect((error as Error).message).not.toContain(bad);
    }
  });
});

describe("through a listening app", () => {
  const minute = 60_000;
  // Fixed at a minute's beginning: the one-minute window cannot end mid-test.
  const api = useUsersApi("users_client_address", { start: Math.ceil(Date.now() / minute) * minute });

  /** Statuses of logins sent over HTTP from 127.0.0.1 with these X-Forwarded-For values, one after another. */
  async function statuses(env: Record<string, string>, forwardedFor: string[]) {
    const { app } = api.build({ env: { LOGINS_PER_CLIENT_PER_MINUTE: "2", ...env } });
    app.listen({ port: 0, hostname: "127.0.0.1" });
    try {
      const results: number[] = [];
      for (const [i, header] of forwardedFor.entries()) {
        const response = await fetch(
          `http://127.0.0.1:${app.server!.port}/login`,
          requestInit("POST", {
            body: { email: `xff-${crypto.randomUUID()}-${i}@example.com`, password: "wrong password!" },
            headers: { "x-forwarded-for": header },
          }),
        );
        await response.body?.cancel();
        results.push(response.status);
      }
      return results;
    } finally {
      await app.stop(true);
    }
  }

  test("without TRUSTED_PROXIES, a client cannot choose its own bucket", async () => {
    expect(await statuses({}, ["198.51.100.1", "198.51.100.2", "198.51.100.3"])).toEqual([401, 401, 429]);
  });

  test("with the peer trusted, each forwarded client (IPv6 by /64) has its own bucket", async () => {
    expect(
      await statuses({ TRUSTED_PROXIES: "127.0.0.1/32" }, [
        "6.6.6.6, 198.51.100.1",
        "6.6.6.6, 198.51.100.2",
        "6.6.6.6, 198.51.100.1",
        "6.6.6.6, 198.51.100.1",
        "2001:db8:1:2::1",
        "2001:db8:1:2::ffff",
        "2001:db8:1:2:abcd::9",
        "2001:db8:1:3::1",
      ]),
    ).toEqual([401, 401, 401, 429, 401, 401, 429, 401]);
  });
});
