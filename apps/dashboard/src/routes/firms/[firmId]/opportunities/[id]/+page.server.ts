import { fail } from "@sveltejs/kit";
import type { Member, OpportunityDetail, OutboundMessage, Page, Task } from "$lib/api-types";
import { isStageKey } from "$lib/format";
import { readJson, sendChange } from "$lib/server/api-errors";
import { completeTaskAction, retryMessageAction } from "$lib/server/actions";
import { field } from "$lib/server/form-data";
import type { Actions, PageServerLoad } from "./$types";

export const load: PageServerLoad = async (event) => {
  const id = encodeURIComponent(event.params.id);
  // All four at once, but the opportunity is awaited first, so another firm's id ends in its 404. The other
  // reads are scoped to the person's firm, so for such an id they find nothing.
  const rest = Promise.all([
    readJson<Page<Task>>(event, `/v1/tasks?status=open&opportunityId=${id}&limit=100`),
    readJson<Page<OutboundMessage>>(event, `/v1/outbound-messages?status=failed&opportunityId=${id}&limit=100`),
    readJson<Page<Member>>(event, "/v1/members"),
  ]);
  rest.catch(() => undefined);
  const opportunity = await readJson<OpportunityDetail>(event, `/v1/opportunities/${id}`);
  const [tasks, failed, members] = await rest;

  return { opportunity, tasks: tasks.data, failedMessages: failed.data, members: members.data };
};

export const actions: Actions = {
  completeTask: completeTaskAction,

  overrideStage: async (event) => {
    const form = await event.request.formData();
    const values = { stage: field(form, "stage"), reason: field(form, "reason") };
    const fieldErrors: Record<string, string> = {};
    if (!isStageKey(values.stage)) fieldErrors.stage = "Choose a stage.";
    if (values.reason === "") fieldErrors.reason = "Say why you are setting the stage by hand.";
    if (values.reason.length > 500) fieldErrors.reason = "Keep the reason to 500 characters or fewer.";
    if (Object.keys(fieldErrors).length > 0) {
      return fail(422, { form: "stage", message: "The stage was not changed. Correct the fields marked below.", fieldErrors, values });
    }

    const result = await sendChange<{ changed: boolean }>(event, "POST", `/v1/opportunities/${encodeURIComponent(event.params.id)}/stage`, values, {
      form: "stage",
      values,
    });
    if (!result.ok) return result.failure;
    return { form: "stage", saved: result.data.changed ? "Stage changed." : "Stage kept; automation will only move it past this stage." };
  },

  retryMessage: retryMessageAction,
};
