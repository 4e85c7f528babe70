import type { OperationLink } from "@accounts/shared";

// How a client goes from one users route to the next, published as OpenAPI links (clients and the fuzzing
// suite's stateful phase follow them). A route that takes what another returns adds its link here.
const bearerFromLogIn = { "header.Authorization": "Bearer {$response.body#/token}" };

export const usersLinks: OperationLink[] = [
  {
    from: "POST /signup",
    status: 201,
    to: "POST /login",
    name: "LogIn",
    description: "Log in as the account just created",
    requestBody: { email: "$request.body#/email", password: "$request.body#/password" },
  },
  {
    from: "POST /login",
    status: 200,
    to: "GET /user",
    name: "ReadUser",
    description: "Read the account the token was issued for",
    parameters: bearerFromLogIn,
  },
  {
    from: "POST /login",
    status: 200,
    to: "DELETE /user",
    name: "DeleteUser",
    description: "Delete the account the token was issued for, with the password that logged in",
    parameters: bearerFromLogIn,
    requestBody: { password: "$request.body#/password" },
  },
  {
    from: "POST /login",
    status: 200,
    to: "POST /login/mfa",
    name: "SecondStep",
    description: "While TOTP is on: complete the login with the mfaToken and a code",
    requestBody: { mfaToken: "$response.body#/mfaToken" },
  },
  {
    from: "POST /login/mfa",
    status: 200,
    to: "GET /user",
    name: "ReadUserAfterSecondStep",
    description: "Read the account with the access token of the completed login",
    parameters: { "header.Authorization": "Bearer {$response.body#/token}" },
  },
  {
    from: "POST /login",
    status: 200,
    to: "POST /mfa/totp",
    name: "EnrolTotp",
    description: "Start TOTP for the account, with the password that logged in",
    parameters: bearerFromLogIn,
    requestBody: { password: "$request.body#/password" },
  },
  {
    from: "POST /mfa/totp",
    status: 201,
    to: "POST /mfa/totp/confirm",
    name: "ConfirmTotp",
    description: "Turn TOTP on with a code from the secret just made",
    parameters: { "header.Authorization": "$request.header.Authorization" },
  },
  {
    from: "POST /login",
    status: 200,
    to: "POST /refresh",
    name: "Refresh",
    description: "Exchange the session's refresh token for new tokens",
    requestBody: { refreshToken: "$response.body#/refreshToken" },
  },
  {
    from: "POST /refresh",
    status: 200,
    to: "GET /user",
    name: "ReadUserAfterRefresh",
    description: "Read the account with the new access token",
    parameters: { "header.Authorization": "Bearer {$response.body#/token}" },
  },
  {
    from: "POST /login",
    status: 200,
    to: "GET /sessions",
    name: "ListSessions",
    description: "List the account's live sessions",
    parameters: bearerFromLogIn,
  },
  {
    from: "POST /login",
    status: 200,
    to: "POST /logout",
    name: "LogOut",
    description: "End the session",
    parameters: bearerFromLogIn,
  },
];
