// What the seed's Express services left in MongoDB, for the suites that start from it.

/** 7 characters: the seed let them through, and such accounts must still log in. */
export const seedPassword = "s33d-pw";

/** A user document as the seed wrote it: the address as typed, a bcrypt hash ($2a$, as its library wrote) of `seedPassword`. */
export const seedUser = async (email: string) => ({
  email,
  password: (await Bun.password.hash(seedPassword, { algorithm: "bcrypt", cost: 4 })).replace(/^\$2b\$/, "$2a$"),
});
