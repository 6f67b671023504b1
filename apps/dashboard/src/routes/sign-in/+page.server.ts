import { fail, redirect } from "@sveltejs/kit";
import { apiOrigin, isLocalDevelopment } from "$lib/server/config";
import { safeNextPath } from "$lib/server/next-path";
import { readProblem } from "$lib/server/api-errors";
import type { Actions, PageServerLoad } from "./$types";

export const load: PageServerLoad = ({ locals, url }) => {
  if (locals.session) redirect(303, safeNextPath(url.searchParams.get("next")));
  return { next: safeNextPath(url.searchParams.get("next")) };
};

/** Long enough for any real address (254 is the SMTP limit), short enough to bound the request. */
const MAX_EMAIL_LENGTH = 254;

export const actions: Actions = {
  default: async (event) => {
    const form = await event.request.formData();
    const email = String(form.get("email") ?? "").trim();
    const next = safeNextPath(String(form.get("next") ?? "/"));

    if (email === "") return fail(422, { field: "email", message: "Enter your email address.", values: { email } });
    if (email.length > MAX_EMAIL_LENGTH || !/^[^\s@]+@[^\s@]+$/.test(email)) {
      return fail(422, { field: "email", message: "Enter an email address such as name@firm.example.", values: { email } });
    }

    const response = await event.locals.api("/v1/auth/sign-in-links", { method: "POST", body: JSON.stringify({ email, next }) });
    if (!response.ok) {
      const problem = await readProblem(response);
      const message = problem.status >= 500 ? "Sign-in links cannot be sent right now. Try again in a minute." : problem.message;
      return fail(problem.status >= 500 ? 502 : problem.status, { field: problem.field === "email" ? "email" : undefined, message, values: { email } });
    }

    // The API returns the same response for unknown addresses, so this page must not suggest otherwise.
    return {
      sent: true,
      email,
      outboxUrl: isLocalDevelopment(event) ? new URL("/dev/outbox", apiOrigin(event)).href : null,
    };
  },
};
