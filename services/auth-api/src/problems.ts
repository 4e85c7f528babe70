import { HttpProblem, INTERNAL_CREDENTIAL_PROBLEM, serviceUnavailable, unauthorized } from "@accounts/shared";

/*
 * Every problem auth-api answers with, in one place (as users-api's problems.ts and Better Auth's error-code.ts). Its
 * only caller is users-api, which matches on the status and the internal credential's type (`@accounts/shared`).
 */

/** A request to an internal route without INTERNAL_TOKEN. */
export const invalidInternalCredential = () =>
  new HttpProblem(401, "Missing or invalid internal credential", { type: INTERNAL_CREDENTIAL_PROBLEM });

/** Every hashing slot busy and the queue behind them full (the limiter in hashing/limiter.ts). */
export const hashQueueFull = () => serviceUnavailable("Too many password hashes in progress; retry shortly", 1);

/** The password does not match the hash users-api sent. */
export const wrongPassword = () => unauthorized("Wrong email or password");
