import { redirect } from "@sveltejs/kit";
import { loadMe } from "$lib/server/firms";
import type { PageServerLoad } from "./$types";

/** Opens the person's only firm straight away; with several, lists them to choose from. */
export const load: PageServerLoad = async (event) => {
  if (!event.locals.session) redirect(303, "/sign-in");
  if (event.locals.session.kind === "api_key") {
    // An API key's firm is known only to the API; local development uses the demo firm.
    redirect(303, "/firms/firm_demo/pipeline");
  }

  const me = await loadMe(event);
  const [only] = me.firms;
  if (me.firms.length === 1 && only) redirect(303, `/firms/${encodeURIComponent(only.id)}/pipeline`);
  return { me };
};
