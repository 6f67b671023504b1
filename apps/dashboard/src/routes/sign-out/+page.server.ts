import { redirect } from "@sveltejs/kit";
import { clearSessionCookie } from "$lib/server/session";
import type { Actions, PageServerLoad } from "./$types";

export const load: PageServerLoad = ({ locals }) => {
  if (!locals.session) redirect(303, "/sign-in");
};

export const actions: Actions = {
  default: async (event) => {
    const session = event.locals.session;
    if (session?.kind === "user") {
      // Revoked on the API first, so a copy of the cookie stops working too. A failure here still signs the
      // browser out; the session then ends when it expires.
      const response = await event.locals.api("/v1/auth/sessions/current", { method: "DELETE" });
      if (!response.ok && response.status !== 401) console.error("sign_out.revoke_failed", { status: response.status });
    }
    clearSessionCookie(event.cookies, event.url);
    redirect(303, "/sign-in");
  },
};
