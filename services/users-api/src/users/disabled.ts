/**
 * The part of a login's session write that holds while the account is not disabled: a disable that lands while a
 * login is in flight, after the login read the user, still keeps its session from opening.
 */
export const notDisabled = { disabled: { $exists: false } } as const;
