// Admission before work (auth-client/admission.ts), on its own: what auth-api's 503 teaches, who waits, who is let in
// and when a wait ends in 503.
import { expect, test } from "bun:test";
import { ADMISSION_QUEUE_LIMIT, ADMISSION_WAIT_MS, createHashingAdmission } from "../src/auth-client/admission.ts";

const queueFull = () => new Response(null, { status: 503, headers: { "retry-after": "1" } });
const answered = () => new Response(null, { status: 200 });

/** An admission that has learned auth-api holds `held`: `held + 1` slots taken when auth-api said its queue was full. */
async function learned(held: number) {
  const admission = createHashingAdmission();
  const slots = await Promise.all(Array.from({ length: held + 1 }, () => admission.admit()));
  admission.learn(queueFull());
  for (const slot of slots) slot[Symbol.dispose]();
  return admission;
}

/** Whether `promise` has settled by the time the microtasks queued now have run. */
const settled = async (promise: Promise<unknown>) => {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  await Promise.resolve();
  await Promise.resolve();
  return done;
};

test("until auth-api's first full queue, every request is let in", async () => {
  const admission = createHashingAdmission();
  const slots = await Promise.all(Array.from({ length: 50 }, () => admission.admit()));
  expect(slots).toHaveLength(50);
});

test("past what auth-api held, a request waits, and the oldest is let in as soon as one is answered", async () => {
  const admission = await learned(2);
  const [first, second] = [await admission.admit(), await admission.admit()];
  const third = admission.admit();
  const fourth = admission.admit();
  expect([await settled(third), await settled(fourth)]).toEqual([false, false]);
  first[Symbol.dispose]();
  expect([await settled(third), await settled(fourth)]).toEqual([true, false]);
  // Released twice, counted once.
  first[Symbol.dispose]();
  expect(await settled(fourth)).toBe(false);
  second[Symbol.dispose]();
  expect(await settled(fourth)).toBe(true);
});

test(`a wait ends in 503 with Retry-After 1 after ${ADMISSION_WAIT_MS} ms, and takes no slot`, async () => {
  const admission = await learned(1);
  const slot = await admission.admit();
  const started = performance.now();
  const error = await admission.admit().catch((caught) => caught);
  expect(performance.now() - started).toBeGreaterThanOrEqual(ADMISSION_WAIT_MS - 5);
  expect({ status: error.status, retryAfter: error.extra.retryAfterSeconds }).toEqual({ status: 503, retryAfter: 1 });
  slot[Symbol.dispose]();
  expect(await settled(admission.admit())).toBe(true);
});

test(`past ${ADMISSION_QUEUE_LIMIT} waiting, a request is refused at once`, async () => {
  const admission = await learned(1);
  const slot = await admission.admit();
  const waiting = Array.from({ length: ADMISSION_QUEUE_LIMIT }, () => admission.admit());
  const error = await admission.admit().catch((caught) => caught);
  expect(error.status).toBe(503);
  // Each waiting one is let in, in turn, as the one before it is answered.
  slot[Symbol.dispose]();
  for (const next of waiting) (await next)[Symbol.dispose]();
});

test("answers at the capacity raise it by one per round: the one waiting is let in after as many answers as it holds", async () => {
  const admission = await learned(2);
  const slots = [await admission.admit(), await admission.admit()];
  admission.learn(answered());
  const waiter = admission.admit();
  // 2 + 1/2, then + 1/2.5: still below 3.
  admission.learn(answered());
  expect(await settled(waiter)).toBe(false);
  // + 1/2.9: past 3, one more slot.
  admission.learn(answered());
  expect(await settled(waiter)).toBe(true);
  for (const slot of [...slots, await waiter]) slot[Symbol.dispose]();
});
