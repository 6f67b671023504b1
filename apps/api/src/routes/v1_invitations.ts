import { normaliseEmail } from "@plumbline/core";
import {
  FIRM_ROLES,
  createInvitation,
  findFirm,
  findFirmMember,
  findInvitation,
  findUserByEmail,
  listInvitations,
  revokeInvitation,
  type Invitation,
} from "@plumbline/db";
import { newId } from "@plumbline/core";
import type { Hono } from "hono";
import { z } from "zod";
import { sendPlatformEmail } from "../auth/platform-mail";
import { INVITATION_LIFETIME_MS, invitationEmail, newTokenRow, verifyUrl } from "../auth/sign-in-link";
import type { HonoEnv } from "../context";
import { ApiError, notFound } from "../errors";
import { firmPath } from "../lib/dashboard-links";
import { actorUserId, hasRole, requireFirm } from "../middleware/firm-access";
import { parseJsonBody, strictObject } from "./v1_settings";

const inviteSchema = strictObject({
  email: z.string({ error: "must be an email address" }).max(320, { error: "must be at most 320 characters" }),
  role: z.enum(FIRM_ROLES, { error: `must be one of ${FIRM_ROLES.join(", ")}` }),
});

function statusOf(invitation: Invitation, now: Date): "pending" | "accepted" | "revoked" | "expired" {
  if (invitation.acceptedAt) return "accepted";
  if (invitation.revokedAt) return "revoked";
  return invitation.expiresAt <= now ? "expired" : "pending";
}

function presentInvitation(invitation: Invitation, now: Date) {
  return {
    id: invitation.id,
    email: invitation.email,
    role: invitation.role,
    status: statusOf(invitation, now),
    invitedByUserId: invitation.invitedByUserId,
    expiresAt: invitation.expiresAt.toISOString(),
    acceptedAt: invitation.acceptedAt?.toISOString() ?? null,
    createdAt: invitation.createdAt.toISOString(),
  };
}

/**
 * Registers invitations (admin). `POST /v1/invitations` invites an address with a role and emails a link that
 * signs the person in and adds them to the firm. `GET` lists them, and `DELETE /v1/invitations/{id}` revokes one.
 */
export function registerInvitationRoutes(app: Hono<HonoEnv>) {
  app.post("/v1/invitations", requireFirm("admin"), async (c) => {
    const { env, db, logger } = c.get("services");
    const firmId = c.get("firmId");
    const actor = c.get("actor");
    const body = await parseJsonBody(c, inviteSchema);
    const normalised = normaliseEmail(body.email);
    if (typeof normalised === "string") {
      throw new ApiError("validation_failed", "email must be a valid email address, such as name@firm.example.", { field: "email" });
    }
    const actorRole = actor.kind === "user" ? actor.role : "admin";
    if (body.role === "owner" && !hasRole(actorRole, "owner")) {
      throw new ApiError("forbidden", "Only an owner can invite another owner.", { field: "role" });
    }

    const existingUser = await findUserByEmail(db, normalised.key);
    if (existingUser && (await findFirmMember(db, firmId, existingUser.id))) {
      throw new ApiError("conflict", `${normalised.key} is already a member of this firm.`, { field: "email" });
    }

    const now = new Date();
    const invitationId = newId("inv", now.getTime());
    const { token, row } = await newTokenRow(
      { purpose: "invitation", email: normalised.key, userId: existingUser?.id ?? null, invitationId, lifetimeMs: INVITATION_LIFETIME_MS },
      now,
    );
    const invitation = {
      id: invitationId,
      firmId,
      email: normalised.key,
      role: body.role,
      invitedByUserId: actorUserId(actor),
      expiresAt: row.expiresAt,
      createdAt: now,
    };
    await createInvitation(db, invitation, row);

    const firm = (await findFirm(db, firmId))!;
    const inviterName = actor.kind === "user" ? c.get("signedIn").user.name : null;
    const link = verifyUrl(env.DASHBOARD_URL, token, firmPath(firmId, "pipeline"));
    await sendPlatformEmail(env, db, logger, { kind: "invitation", to: { email: normalised.key }, ...invitationEmail(firm.name, inviterName, body.role, link) });
    logger.info("invitation.created", { invitationId, role: body.role });
    return c.json(presentInvitation({ ...invitation, acceptedAt: null, acceptedUserId: null, revokedAt: null, invitedByUserId: invitation.invitedByUserId }, now), 201);
  });

  app.get("/v1/invitations", requireFirm("admin"), async (c) => {
    const rows = await listInvitations(c.get("services").db, c.get("firmId"));
    const now = new Date();
    return c.json({ data: rows.map((row) => presentInvitation(row, now)) });
  });

  app.delete("/v1/invitations/:id", requireFirm("admin"), async (c) => {
    const { db, logger } = c.get("services");
    const firmId = c.get("firmId");
    const id = c.req.param("id");
    const existing = id.length <= 64 ? await findInvitation(db, firmId, id) : null;
    if (!existing) throw notFound(`Invitation ${id.slice(0, 64)}`);
    if (!(await revokeInvitation(db, firmId, id, new Date()))) {
      throw new ApiError("conflict", `Invitation ${id} is already ${existing.acceptedAt ? "accepted" : "revoked"}, so it cannot be revoked.`);
    }
    logger.info("invitation.revoked", { invitationId: id });
    return c.body(null, 204);
  });
}
