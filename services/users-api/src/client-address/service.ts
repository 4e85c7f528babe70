import { ConfigError } from "@accounts/shared";
// ipaddr.js (the parser behind Express's proxy-addr, kept up for a decade) rather than our own: IPv6 has many
// spellings (zero compression, embedded IPv4, IPv4-mapped) that hand-written CIDR matching gets wrong.
import ipaddr from "ipaddr.js";

type Address = ipaddr.IPv4 | ipaddr.IPv6;

const parse = (text: string): Address | undefined => {
  const trimmed = text.trim();
  // process() turns IPv4-mapped IPv6 (::ffff:203.0.113.7, as a dual-stack socket reports IPv4 peers) into IPv4.
  return ipaddr.isValid(trimmed) ? ipaddr.process(trimmed) : undefined;
};

/** `TRUSTED_PROXIES` as CIDRs; a ConfigError naming the variable (not its value) for any entry that is not one. */
export function parseTrustedProxies(list: string): [Address, number][] {
  const entries = list
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  return entries.map((entry) => {
    if (!ipaddr.isValidCIDR(entry)) throw new ConfigError("Invalid configuration:\n  TRUSTED_PROXIES: must be CIDRs");
    const [network, bits] = ipaddr.parseCIDR(entry);
    // An IPv4-mapped network matches IPv4 peers only once it is IPv4 itself, as parse() makes them.
    return network.kind() === "ipv6" && (network as ipaddr.IPv6).isIPv4MappedAddress()
      ? [(network as ipaddr.IPv6).toIPv4Address(), bits - 96]
      : [network, bits];
  });
}

/**
 * The bucket a client is counted in: its IPv4 address, or the /64 of its IPv6 address (one subscriber's
 * share: a home or office gets a /64 or more, so counting single IPv6 addresses would let one client
 * take 2^64 buckets).
 */
function bucketOf(address: Address): string {
  if (address.kind() === "ipv4") return address.toString();
  const parts = (address as ipaddr.IPv6).parts;
  return `${new ipaddr.IPv6([...parts.slice(0, 4), 0, 0, 0, 0]).toString()}/64`;
}

/**
 * Finds the client of a request. The socket's peer is the client unless it is a trusted proxy; then
 * `X-Forwarded-For` is read from the right (each proxy appends the address it received the request from),
 * skipping trusted hops, and the first untrusted address is the client. Entries left of it were written by
 * the client itself and are never believed, so a client cannot choose its own bucket; without trusted proxies
 * the header is ignored altogether.
 */
export function createClientAddressResolver(trustedProxies: string) {
  const trusted = parseTrustedProxies(trustedProxies);
  const isTrusted = (address: Address) =>
    trusted.some(([network, bits]) => network.kind() === address.kind() && address.match(network, bits));

  return (peer: string | undefined, forwardedFor: string | null): string => {
    // No socket (a request handed to the app in-process): one shared bucket, never an unlimited one.
    let client = peer === undefined ? undefined : parse(peer);
    if (!client) return "unknown";
    const hops = forwardedFor ? forwardedFor.split(",") : [];
    while (isTrusted(client) && hops.length > 0) {
      const hop = parse(hops.pop()!);
      // Garbage where a trusted proxy should have written an address: the proxy stays the client.
      if (!hop) break;
      client = hop;
    }
    return bucketOf(client);
  };
}

export type ClientAddressResolver = ReturnType<typeof createClientAddressResolver>;
