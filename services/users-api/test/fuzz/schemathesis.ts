// How the fuzzing suite runs Schemathesis 4 (`schemathesis run`): one place for its arguments.

/** Generated cases per operation and phase; FUZZ_EXAMPLES=1000 goes deeper by hand. */
const examples = Number(process.env.FUZZ_EXAMPLES ?? 25);

/**
 * One fixed seed unless FUZZ_SEED names another, or is `random` (each run explores anew): whether the chains meet a
 * sign-up that lets them go on is chance, and the suite must answer the same on every machine.
 */
const seed = process.env.FUZZ_SEED === "random" ? undefined : (process.env.FUZZ_SEED ?? "13");

/**
 * Every check Schemathesis has, bar those whose idea of a correct API is not ours (each says why):
 * - positive_data_acceptance expects schema-valid input to succeed, but a valid login with made-up credentials is
 *   rightly a 401 and a valid sign-up of a taken address a 409.
 */
const excludedChecks = ["positive_data_acceptance"];
/**
 * And in the stateful chains alone, ignored_auth: it takes an access token a link carried from a login's answer for
 * one it generated, and reports its acceptance (ST401). The other phases keep the check, where every bearer route
 * is sent without a token and with made-up ones.
 */
const excludedFromChains = ["ignored_auth"];

/**
 * Every phase: the schema's examples, the coverage phase (boundaries, wrong types, undocumented methods), random
 * fuzzing, and stateful chains along the documented links. The chains can be run on their own (`phases`), on a
 * database of their own: they start with a sign-up, whose generated address the other phases may have taken.
 */
export const ALL_PHASES = "examples,coverage,fuzzing,stateful";

export const schemathesisArguments = (
  documentUrl: string,
  headers: Record<string, string>,
  phases = ALL_PHASES,
): string[] => [
  "run",
  documentUrl,
  "--phases",
  phases,
  // Valid and invalid data alike: invalid input must get a documented 4xx. The chains alone take valid data only: a
  // chain goes on only from a success (a sign-up, then its login), and the other phases send the invalid data.
  "--mode",
  phases === "stateful" ? "positive" : "all",
  "--checks",
  "all",
  "--exclude-checks",
  [...excludedChecks, ...(phases === "stateful" ? excludedFromChains : [])].join(","),
  "--max-examples",
  String(examples),
  ...(seed === undefined ? [] : ["--seed", seed]),
  // Well above the services' own deadlines: a request that takes this long is a hang, reported as a failure.
  "--request-timeout",
  "15",
  // One worker: with a fixed seed the run replays exactly, and CPython 3.11's compiler has crashed in
  // Schemathesis's threads ("AST constructor recursion depth mismatch") with two.
  "--workers",
  "1",
  ...Object.entries(headers).flatMap(([name, value]) => ["--header", `${name}: ${value}`]),
];
