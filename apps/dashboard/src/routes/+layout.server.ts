import type { LayoutServerLoad } from "./$types";

/** Every page gets the CSRF token, which forms send back in their hidden `csrf` field. */
export const load: LayoutServerLoad = ({ locals }) => ({
  csrf: locals.csrfToken,
  signedIn: locals.session !== null,
});
