import { error, redirect } from "@sveltejs/kit";
import { sendChange } from "$lib/server/api-errors";
import { loadMe } from "$lib/server/firms";
import type { Actions, PageServerLoad } from "./$types";

/** Only an agency's admins may create its firms; anyone else gets the same 404 as for an unknown agency. */
export const load: PageServerLoad = async (event) => {
  const me = await loadMe(event);
  const agency = me.agencies.find((candidate) => candidate.id === event.params.agencyId && candidate.role === "admin");
  if (!agency) error(404, { message: "Not found.", code: "not_found" });
  return { agency };
};

export const actions: Actions = {
  default: async (event) => {
    const form = await event.request.formData();
    const values = {
      name: String(form.get("name") ?? "").trim(),
      timeZone: String(form.get("timeZone") ?? "").trim(),
      senderEmail: String(form.get("senderEmail") ?? "").trim(),
    };
    const body = {
      name: values.name,
      ...(values.timeZone ? { timeZone: values.timeZone } : {}),
      ...(values.senderEmail ? { senderEmail: values.senderEmail } : {}),
    };
    const result = await sendChange<{ id: string }>(event, "POST", `/v1/agencies/${encodeURIComponent(event.params.agencyId)}/firms`, body, { values });
    if (!result.ok) return result.failure;
    redirect(303, `/firms/${encodeURIComponent(result.data.id)}/settings`);
  },
};
