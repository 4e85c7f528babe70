// How the fuzzing suite runs Schemathesis 4 (`schemathesis run`): one place for its arguments.

/** Generated cases per operation and phase; FUZZ_EXAMPLES=1000 goes deeper by hand. */
const examples = Number(process.env.FUZZ_EXAMPLES ?? 25);

/** CI runs one fixed seed, so a failure there replays exactly; by hand each run explores anew unless FUZZ_SEED is set. */
const seed = process.env.FUZZ_SEED ?? (process.env.CI ? "13" : undefined);

/**
 * Every check Schemathesis has, bar those whose idea of a correct API is not ours (each says why):
 * - positive_data_acceptance expects schema-valid input to succeed, but a valid login with made-up credentials is
 *   rightly a 401 and a valid sign-up of a taken address a 409.
 */
const excludedChecks = ["positive_data_acceptance"];

export const schemathesisArguments = (documentUrl: string, headers: Record<string, string>): string[] => [
  "run",
  documentUrl,
  // Every phase: the schema's examples, the coverage phase (boundaries, wrong types, undocumented methods),
  // random fuzzing, and stateful chains along the documented links.
  "--phases",
  "examples,coverage,fuzzing,stateful",
  // Valid and invalid data alike: invalid input must get a documented 4xx.
  "--mode",
  "all",
  "--checks",
  "all",
  "--exclude-checks",
  excludedChecks.join(","),
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
