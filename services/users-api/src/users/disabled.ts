import { HttpProblem } from "@accounts/shared";

/** Problem type of the 403 a right password gets while an operator has disabled the account. */
export const ACCOUNT_DISABLED_PROBLEM = "urn:accounts:problem:account-disabled";

/** Only after the password (and a second step's code) proved right: a wrong one still gets the ordinary 401. */
export const accountDisabled = () =>
  new HttpProblem(403, "This account is disabled; contact support", { type: ACCOUNT_DISABLED_PROBLEM });

/**
 * The part of a login's session write that holds while the account is not disabled: a disable that lands while a
 * login is in flight, after the login read the user, still keeps its session from opening.
 */
export const notDisabled = { disabled: { $exists: false } } as const;
