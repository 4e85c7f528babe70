/**
 * Lower-cased and trimmed, the one form addresses are stored, looked up and compared in. Applied to every address a
 * request brings (the controllers' transforms, before validation, so sign-up's format check sees what will be
 * stored), to an operator's search, and by the migration to what the seed stored as typed.
 */
export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/** The transform of the routes whose body has an `email`: validation sees it as stored. */
export const normalizeBodyEmail = ({ body }: { body: unknown }) => {
  if (typeof body === "object" && body !== null && "email" in body && typeof body.email === "string")
    body.email = normalizeEmail(body.email);
};
