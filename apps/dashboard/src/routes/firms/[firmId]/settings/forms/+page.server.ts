import { readOptionalJson, sendChange } from "$lib/server/api-errors";
import { field } from "$lib/server/form-data";
import type { Actions, PageServerLoad } from "./$types";

/** `GET /v1/forms-admin` entry, from the sign-in work on the API. */
interface AdminForm {
  id: string;
  key: string;
  name: string;
  allowedOrigins: string[];
  snippet: string;
}

export const load: PageServerLoad = async (event) => {
  const forms = await readOptionalJson<{ data: AdminForm[] }>(event, "/v1/forms-admin");
  return { forms: forms?.data ?? null };
};

export const actions: Actions = {
  default: async (event) => {
    const form = await event.request.formData();
    const formId = field(form, "formId");
    const values = { name: field(form, "name"), allowedOrigins: field(form, "allowedOrigins") };
    const allowedOrigins = values.allowedOrigins.split(/\s+/).filter((origin) => origin !== "");
    const fieldNames = Object.fromEntries(allowedOrigins.map((_, index) => [`allowedOrigins.${index}`, "allowedOrigins"]));

    const result = await sendChange(event, "PATCH", `/v1/forms-admin/${encodeURIComponent(formId)}`, { name: values.name, allowedOrigins }, { form: formId, values, fieldNames });
    if (!result.ok) return result.failure;
    return { form: formId, saved: "Form saved." };
  },
};
