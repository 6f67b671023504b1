import { fail } from "@sveltejs/kit";
import type { Member, Page } from "$lib/api-types";
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

export const actions: Actions = {
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
