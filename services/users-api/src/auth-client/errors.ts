import { HttpProblem } from "@accounts/shared";

/** auth-api did not answer in time, refused us, or answered nonsense: our caller gets 503. */
export class AuthUnavailableError extends HttpProblem {
  constructor(
    readonly reason: string,
    retryAfterSeconds = 1,
  ) {
    super(503, "The authentication service is unavailable; try again shortly", { retryAfterSeconds });
  }
}
