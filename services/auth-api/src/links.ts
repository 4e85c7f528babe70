import type { OperationLink } from "@accounts/shared";

// How users-api goes from one auth-api route to the next, published as OpenAPI links (the fuzzing suite's
// stateful phase follows them): a hash from sign-up is what a later login checks the password against.
export const authLinks: OperationLink[] = [
  {
    from: "POST /hashed-pw",
    status: 200,
    to: "POST /token",
    name: "IssueToken",
    description: "Check the same password against the hash just made, as a login does",
    requestBody: {
      userId: "6b06d26ae7ae89b7eeadd4dd",
      password: "$request.body#/password",
      hashedPassword: "$response.body#/hashed",
    },
  },
];
