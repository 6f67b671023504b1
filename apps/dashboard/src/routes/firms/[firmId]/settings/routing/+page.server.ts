import type { Member, Page } from "$lib/api-types";
import { readJson, sendChange } from "$lib/server/api-errors";
import { field } from "$lib/server/form-data";
import type { Actions, PageServerLoad } from "./$types";

interface Routing {
  rules: Array<{ id: string; serviceLine: string | null; userId: string | null; teamId: string | null }>;
  teams: Array<{ id: string; name: string; members: Array<{ userId: string; name: string; away: boolean }> }>;
}

/** Empty rows offered under the rules, so a rule can be added without JavaScript. */
const BLANK_ROWS = 2;

export const load: PageServerLoad = async (event) => {
  const [routing, members] = await Promise.all([readJson<Routing>(event, "/v1/routing"), readJson<Page<Member>>(event, "/v1/members")]);
  return { routing, members: members.data, blankRows: BLANK_ROWS };
};

export const actions: Actions = {
  default: async (event) => {
    const form = await event.request.formData();
    const count = Math.min(Number(field(form, "rowCount")) || 0, 100 + BLANK_ROWS);
    const values: Record<string, string> = {};
    const rules = [];
    // Row numbers in the form and rule indexes sent to the API differ once rows are left empty or removed.
    const fieldNames: Record<string, string> = {};
    for (let row = 0; row < count; row += 1) {
      const serviceLine = field(form, `serviceLine-${row}`);
      const target = field(form, `target-${row}`);
      values[`serviceLine-${row}`] = serviceLine;
      values[`target-${row}`] = target;
      if (form.get(`remove-${row}`) === "on" || target === "") continue;

      const [kind, id] = target.split(":");
      const index = rules.length;
      rules.push({ serviceLine: serviceLine === "" ? null : serviceLine, ...(kind === "team" ? { teamId: id } : { userId: id }) });
      fieldNames[`rules.${index}`] = `target-${row}`;
      fieldNames[`rules.${index}.serviceLine`] = `serviceLine-${row}`;
      fieldNames[`rules.${index}.userId`] = `target-${row}`;
      fieldNames[`rules.${index}.teamId`] = `target-${row}`;
    }

    const result = await sendChange(event, "PUT", "/v1/routing/rules", { rules }, { values, fieldNames });
    if (!result.ok) return result.failure;
    return { saved: "Routing rules saved." };
  },
};
