import { fail } from "@sveltejs/kit";
import type { Integration, Page } from "$lib/api-types";
import { readJson, sendChange } from "$lib/server/api-errors";
import { providerName } from "$lib/providers";
import { field } from "$lib/server/form-data";
import type { Actions, PageServerLoad } from "./$types";

const KIND_LABELS = { mail: "Email", chat: "Chat", booking: "Bookings" } as const;

/** Providers the "add" form offers, each as `kind:provider`. */
const PROVIDERS = (
  [
    ["mail", "postmark"],
    ["mail", "resend"],
    ["mail", "sendgrid"],
    ["mail", "mailgun"],
    ["chat", "slack"],
    ["chat", "teams"],
    ["booking", "calcom"],
    ["booking", "calendly"],
  ] as const
).map(([kind, provider]) => ({ value: `${kind}:${provider}`, label: `${KIND_LABELS[kind]}: ${providerName(provider)}` }));

export const load: PageServerLoad = async (event) => ({
  integrations: (await readJson<Page<Integration>>(event, "/v1/integrations")).data,
  providers: PROVIDERS,
});

export const actions: Actions = {
  add: async (event) => {
    const form = await event.request.formData();
    // Secrets never travel back to the page, even after a failed save.
    const values = { provider: field(form, "provider"), name: field(form, "name"), domain: field(form, "domain") };
    const [kind, provider] = values.provider.split(":");
    if (!PROVIDERS.some((option) => option.value === values.provider) || !kind || !provider) {
      return fail(422, { form: "add", message: "Choose a provider.", fieldErrors: { provider: "Choose a provider." }, values });
    }

    const body = {
      kind,
      provider,
      ...(values.name ? { name: values.name } : {}),
      secret: field(form, "secret"),
      ...(kind === "mail" && values.domain ? { settings: { domain: values.domain } } : {}),
    };
    const result = await sendChange<Integration & { webhookUrl?: string }>(event, "POST", "/v1/integrations", body, {
      form: "add",
      values,
      fieldNames: { "settings.domain": "domain" },
    });
    if (!result.ok) return result.failure;
    const webhook = result.data.webhookUrl ? ` Paste this webhook URL into ${providerName(provider)}: ${result.data.webhookUrl}` : "";
    return { form: "add", saved: `Integration added.${webhook}` };
  },

  test: async (event) => {
    const form = await event.request.formData();
    const integrationId = field(form, "integrationId");
    const to = field(form, "to");
    const result = await sendChange(event, "POST", `/v1/integrations/${encodeURIComponent(integrationId)}/test`, to ? { to } : {}, {
      form: `test-${integrationId}`,
      values: { to },
    });
    if (!result.ok) return result.failure;
    return { form: `test-${integrationId}`, saved: "Test sent. Check that it arrived." };
  },

  replaceSecret: async (event) => {
    const form = await event.request.formData();
    const integrationId = field(form, "integrationId");
    const formName = `secret-${integrationId}`;
    const secret = field(form, "secret");
    if (secret === "") return fail(422, { form: formName, message: "Paste the new secret.", fieldErrors: { secret: "Paste the new secret." } });

    const result = await sendChange(event, "POST", `/v1/integrations/${encodeURIComponent(integrationId)}/reconnect`, { secret }, { form: formName });
    if (!result.ok) return result.failure;
    return { form: formName, saved: "Secret replaced." };
  },
};
