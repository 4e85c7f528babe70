// Names and addresses no other test uses, so that a test makes the accounts it asserts on and finds no one else's:
// it passes alone and in any order (CONTRIBUTING.md).

/** `name` (what the reader sees: "ada", "leaving") and a random part: `ada-1f3c9e0a`. */
export const uniqueName = (name: string) => `${name}-${crypto.randomUUID().slice(0, 8)}`;

/** An address no other test signs up: `ada-1f3c9e0a@example.com`, lower-case, as users-api stores it. */
export const uniqueEmail = (name: string, domain = "example.com") => `${uniqueName(name)}@${domain}`;
