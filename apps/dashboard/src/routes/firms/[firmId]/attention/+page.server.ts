import { fail } from "@sveltejs/kit";
import type { EmailMessage, Integration, ListedOpportunity, OutboundMessage, Page, PipelineSummary } from "$lib/api-types";
import { readJson, readOptionalJson, sendChange } from "$lib/server/api-errors";
import { retryMessageAction } from "$lib/server/actions";
import { loadOverdueTasks, loadStalledOpportunities } from "$lib/server/attention";
import { field } from "$lib/server/form-data";
import type { Actions, PageServerLoad } from "./$types";

export const load: PageServerLoad = async (event) => {
  const [failed, integrations, unmatched, opportunities, overdueTasks, stalled] = await Promise.all([
    readJson<Page<OutboundMessage>>(event, "/v1/outbound-messages?status=failed&limit=100"),
    readJson<Page<Integration>>(event, "/v1/integrations"),
    readJson<Page<EmailMessage>>(event, "/v1/emails/unmatched?limit=100"),
    readJson<Page<ListedOpportunity>>(event, "/v1/opportunities?limit=100"),
    loadOverdueTasks(event, new Date()),
    readOptionalJson<PipelineSummary>(event, "/v1/opportunities/summary").then((summary) => loadStalledOpportunities(event, summary)),
  ]);

  return {
    overdueTasks,
    stalled,
    failed: failed.data,
    brokenIntegrations: integrations.data.filter((integration) => integration.status !== "active"),
    unmatched: unmatched.data,
    // Choices for filing an email: the newest opportunities, labelled by contact and reference.
    opportunityChoices: opportunities.data.map((opportunity) => ({
      id: opportunity.id,
      label: [opportunity.contact.name ?? opportunity.contact.email, opportunity.reference].filter(Boolean).join(" · "),
    })),
  };
};

export const actions: Actions = {
  retry: retryMessageAction,

  reconnect: async (event) => {
    const form = await event.request.formData();
    const integrationId = field(form, "integrationId");
    const secret = field(form, "secret");
    const formName = `reconnect-${integrationId}`;
    if (secret === "") return fail(422, { form: formName, message: "Paste the new secret.", fieldErrors: { secret: "Paste the new secret." } });

    const result = await sendChange(event, "POST", `/v1/integrations/${encodeURIComponent(integrationId)}/reconnect`, { secret }, { form: formName });
    if (!result.ok) return result.failure;
    return { form: formName, saved: "Reconnected. New messages go through this integration again." };
  },

  file: async (event) => {
    const form = await event.request.formData();
    const emailId = field(form, "emailId");
    const opportunityId = field(form, "opportunityId");
    const formName = `file-${emailId}`;
    if (opportunityId === "") {
      return fail(422, { form: formName, message: "Choose the opportunity to file the email on.", fieldErrors: { opportunityId: "Choose an opportunity." } });
    }

    const result = await sendChange(event, "POST", `/v1/emails/${encodeURIComponent(emailId)}/file`, { opportunityId }, { form: formName });
    if (!result.ok) return result.failure;
    return { form: "filed", saved: "Email filed on the opportunity." };
  },
};
