import { zonedTimeToInstant } from "@plumbline/core";
import { fail } from "@sveltejs/kit";
import type { FollowUpSettings, Member, Page } from "$lib/api-types";
import { hasRole, isRole } from "$lib/roles";
import { readJson, readOptionalJson, sendChange } from "$lib/server/api-errors";
import { field } from "$lib/server/form-data";
import type { Actions, PageServerLoad } from "./$types";

interface Invitation {
  id: string;
  email: string;
  role: string;
  status: "pending" | "accepted" | "revoked" | "expired";
  createdAt: string;
  expiresAt: string;
}

export const load: PageServerLoad = async (event) => {
  const { role } = await event.parent();
  // The API lists invitations to admins only, because they show people's addresses.
  const [members, invitations] = await Promise.all([
    readJson<Page<Member>>(event, "/v1/members"),
    hasRole(role, "admin") ? readOptionalJson<Page<Invitation>>(event, "/v1/invitations") : Promise.resolve(null),
  ]);
  return {
    members: members.data,
    invitations: invitations ? invitations.data.filter((invitation) => invitation.status === "pending") : null,
    canSeeInvitations: hasRole(role, "admin"),
  };
};

interface Removal {
  reassignedToUserId: string | null;
  reassignedTasks: number;
  reassignedOpportunities: number;
}

const memberPath = (userId: string) => `/v1/members/${encodeURIComponent(userId)}`;

function countOf(count: number, singular: string, plural: string): string {
  return `${count} open ${count === 1 ? singular : plural}`;
}

/** Describes where a removed member's open work went, for the message after removal. */
function describeRemoval(removal: Removal): string {
  if (removal.reassignedTasks === 0 && removal.reassignedOpportunities === 0) return "Member removed. They had no open work.";
  const work = `${countOf(removal.reassignedTasks, "task", "tasks")} and ${countOf(removal.reassignedOpportunities, "opportunity", "opportunities")}`;
  return removal.reassignedToUserId ? `Member removed. ${work} went to the fallback owner.` : `Member removed. ${work} are now unassigned, because the firm has no fallback owner.`;
}

/**
 * Converts a "YYYY-MM-DD" date to the instant that day starts in the firm's time zone, as ISO 8601; null when the
 * text is not a real date.
 */
function startOfDay(date: string, timeZone: string): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) return null;
  try {
    return zonedTimeToInstant({ year: Number(match[1]), month: Number(match[2]), day: Number(match[3]), hour: 0, minute: 0 }, timeZone).toISOString();
  } catch {
    return null;
  }
}

const noMemberChosen = () => fail(400, { form: "members", message: "No member was chosen.", fieldErrors: {} });

export const actions: Actions = {
  role: async (event) => {
    const form = await event.request.formData();
    const userId = field(form, "userId");
    const role = field(form, "role");
    if (userId === "" || !isRole(role)) return fail(422, { form: "members", message: "Choose a role for the member.", fieldErrors: {} });

    const result = await sendChange(event, "PATCH", memberPath(userId), { role }, { form: "members" });
    if (!result.ok) return result.failure;
    return { form: "members", saved: "Role changed." };
  },

  away: async (event) => {
    const form = await event.request.formData();
    const userId = field(form, "userId");
    const backOn = field(form, "backOn");
    const settings = await readJson<FollowUpSettings>(event, "/v1/settings/follow-up");
    const awayUntil = startOfDay(backOn, settings.timeZone);
    if (userId === "" || awayUntil === null) {
      return fail(422, { form: "members", message: "Enter the date the person is back, such as 17/08/2026.", fieldErrors: {} });
    }

    const result = await sendChange(event, "PATCH", memberPath(userId), { awayUntil }, { form: "members" });
    if (!result.ok) return result.failure;
    return { form: "members", saved: "Marked away. Routing skips them until the day they are back." };
  },

  back: async (event) => {
    const userId = field(await event.request.formData(), "userId");
    if (userId === "") return noMemberChosen();
    const result = await sendChange(event, "PATCH", memberPath(userId), { awayUntil: null }, { form: "members" });
    if (!result.ok) return result.failure;
    return { form: "members", saved: "Marked back. Routing includes them again." };
  },

  remove: async (event) => {
    const userId = field(await event.request.formData(), "userId");
    if (userId === "") return noMemberChosen();
    const result = await sendChange<Removal>(event, "DELETE", memberPath(userId), undefined, { form: "members" });
    if (!result.ok) return result.failure;
    return { form: "members", saved: describeRemoval(result.data) };
  },

  invite: async (event) => {
    const form = await event.request.formData();
    const values = { email: field(form, "email"), role: field(form, "role") };
    const fieldErrors: Record<string, string> = {};
    if (!/^[^\s@]+@[^\s@]+$/.test(values.email)) fieldErrors.email = "Enter an email address such as name@firm.example.";
    if (!isRole(values.role)) fieldErrors.role = "Choose a role.";
    if (Object.keys(fieldErrors).length > 0) return fail(422, { form: "invite", message: "No invitation was sent. Correct the fields marked below.", fieldErrors, values });

    const result = await sendChange(event, "POST", "/v1/invitations", values, { form: "invite", values });
    if (!result.ok) return result.failure;
    return { form: "invite", saved: `Invitation sent to ${values.email}.` };
  },

  revoke: async (event) => {
    const invitationId = field(await event.request.formData(), "invitationId");
    const result = await sendChange(event, "DELETE", `/v1/invitations/${encodeURIComponent(invitationId)}`, undefined, { form: "revoke" });
    if (!result.ok) return result.failure;
    return { form: "revoke", saved: "Invitation withdrawn." };
  },
};
