// The hardware's hashing limit: argon2id hashes or verifies per second, with one async Bun.password call per
// core kept in flight for the whole window and no HTTP around them. It runs as its own process so that neither
// the services nor the load generator share its event loop, and prints one JSON line.
//   bun bench/src/hash-limit.ts <hash|verify> <memoryKiB> <timeCost> <seconds>
import { availableParallelism } from "node:os";

export interface HashLimit {
  operation: "hash" | "verify";
  parallel: number;
  perSecond: number;
  /** CPU time (all threads) per operation: what one costs whatever else the machine is doing. */
  cpuMsPerOperation: number;
}

if (import.meta.main) {
  const [operation, ...numbers] = process.argv.slice(2);
  const [memoryKiB, timeCost, seconds] = numbers.map(Number);
  if ((operation !== "hash" && operation !== "verify") || !memoryKiB || !timeCost || !seconds) {
    throw new Error("usage: hash-limit.ts <hash|verify> <memoryKiB> <timeCost> <seconds>");
  }
  const options = { algorithm: "argon2id" as const, memoryCost: memoryKiB, timeCost };
  const password = "bench-password-correct-horse";
  const storedHash = await Bun.password.hash(password, options);
  const parallel = availableParallelism();
  const result: HashLimit = {
    operation,
    parallel,
    ...(await rate(
      operation === "hash"
        ? () => Bun.password.hash(password, options)
        : () => Bun.password.verify(password, storedHash),
      parallel,
      seconds,
    )),
  };
  console.log(JSON.stringify(result));
}

/** Completed operations per second over `seconds`, `parallel` of them always in flight, and their CPU cost. */
export async function rate(operation: () => Promise<unknown>, parallel: number, seconds: number) {
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const end = start + seconds * 1000;
  let completed = 0;
  const lane = async () => {
    while (performance.now() < end) {
      await operation();
      completed++;
    }
  };
  await Promise.all(Array.from({ length: parallel }, lane));
  const cpu = process.cpuUsage(cpuBefore);
  // The last operations end after `end`: divide by the time they really took.
  return {
    perSecond: completed / ((performance.now() - start) / 1000),
    cpuMsPerOperation: (cpu.user + cpu.system) / 1000 / completed,
  };
}
