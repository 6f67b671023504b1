import { readJson, sendChange } from "$lib/server/api-errors";
import { field } from "$lib/server/form-data";
import type { Actions, PageServerLoad } from "./$types";

interface Template {
  kind: string;
  subject: string;
  text: string;
  html: string;
  isDefault: boolean;
  updatedAt: string | null;
  placeholders: string[];
}

export const load: PageServerLoad = async (event) => ({
  template: await readJson<Template>(event, "/v1/email-templates/acknowledgement"),
});

export const actions: Actions = {
  save: async (event) => {
    const form = await event.request.formData();
    const values = { subject: field(form, "subject"), text: field(form, "text"), html: field(form, "html") };
    const result = await sendChange(event, "PUT", "/v1/email-templates/acknowledgement", values, { values });
    if (!result.ok) return result.failure;
    return { saved: "Template saved. New acknowledgements use it." };
  },

  reset: async (event) => {
    const result = await sendChange(event, "DELETE", "/v1/email-templates/acknowledgement", undefined);
    if (!result.ok) return result.failure;
    return { saved: "Back to the built-in template." };
  },
};
