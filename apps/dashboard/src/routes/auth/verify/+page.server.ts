import { fail, redirect } from "@sveltejs/kit";
import { readProblem } from "$lib/server/api-errors";
import { safeNextPath } from "$lib/server/next-path";
import { writeSessionCookie } from "$lib/server/session";
import type { Actions, PageServerLoad } from "./$types";

/** Response body of `POST /v1/auth/sessions`. */
interface CreatedSession {
  session: { token: string; expiresAt: string };
  user: { id: string; email: string; name: string };
}

/**
 * Shows a button instead of signing in on GET, because mail scanners open links to check them, and would use up
 * the one-time token before the person clicks.
 */
export const load: PageServerLoad = ({ url }) => ({
  token: url.searchParams.get("token") ?? "",
  next: safeNextPath(url.searchParams.get("next")),
});

export const actions: Actions = {
  default: async (event) => {
    const form = await event.request.formData();
    const token = String(form.get("token") ?? "");
    const next = safeNextPath(String(form.get("next") ?? "/"));
    if (token === "" || token.length > 200) return fail(400, { message: "This sign-in link is incomplete. Copy the whole link from the email, or ask for a new one." });

    const response = await event.locals.api("/v1/auth/sessions", { method: "POST", body: JSON.stringify({ token }) });
    if (!response.ok) {
      const problem = await readProblem(response);
      if (problem.code === "invalid_sign_in_link") {
        return fail(400, { message: "This sign-in link has expired or has been used already. Ask for a new one." });
      }
      return fail(502, { message: "Signing in failed because the Plumbline API did not respond. Try the link again in a minute." });
    }

    const created = (await response.json()) as CreatedSession;
    writeSessionCookie(event.cookies, event.url, created.session.token, new Date(created.session.expiresAt));
    redirect(303, next);
  },
};
