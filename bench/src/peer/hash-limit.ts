// The peer's hashing limit, measured as ours is (hash-limit.ts: one operation per core kept in flight, no HTTP,
// its own process): Better Auth's own password functions from `better-auth/crypto` at their defaults (on Bun,
// node:crypto scrypt with N=16384, r=16, p=1, a 64-byte key: 32 MiB per hash), so a change of default in a
// new version shows up here.
//   bun bench/src/peer/hash-limit.ts <hash|verify> <seconds>
import { availableParallelism } from "node:os";
import { hashPassword, verifyPassword } from "better-auth/crypto";
import { type HashLimit, rate } from "../hash-limit.ts";

if (import.meta.main) {
  const [operation, seconds] = [process.argv[2], Number(process.argv[3])];
  if ((operation !== "hash" && operation !== "verify") || !seconds)
    throw new Error("usage: peer/hash-limit.ts <hash|verify> <seconds>");
  const password = "bench-password-correct-horse";
  const hash = await hashPassword(password);
  const parallel = availableParallelism();
  const result: HashLimit = {
    operation,
    parallel,
    ...(await rate(
      operation === "hash" ? () => hashPassword(password) : () => verifyPassword({ hash, password }),
      parallel,
      seconds,
    )),
  };
  console.log(JSON.stringify(result));
}
