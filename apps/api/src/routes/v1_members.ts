import {
  FIRM_ROLES,
  countFirmOwners,
  findFirmMember,
  findFollowUpSettings,
  findOpenWorkOf,
  listFirmMembers,
  removeFirmMember,
  setMemberAwayUntil,
  setMemberRole,
  type FirmMember,
  type FirmRole,
} from "@plumbline/db";
import type { Context, Hono } from "hono";
import { z } from "zod";
import type { HonoEnv } from "../context";
import { ApiError, notFound } from "../errors";
import { actorLabel, actorRole, actorUserId, hasRole, requireFirm } from "../middleware/firm-access";
import { parseJsonBody, strictObject } from "./v1_settings";

const AWAY_UNTIL_MESSAGE = 'must be an ISO 8601 date and time with its offset, such as "2026-08-17T09:00:00+01:00", or null to mark the person back';

/** Body of `PATCH /v1/members/{userId}`: a new role, an away date, or both. */
const memberPatchSchema = strictObject({
  role: z.enum(FIRM_ROLES, { error: `must be one of ${FIRM_ROLES.join(", ")}` }).optional(),
  awayUntil: z.iso.datetime({ offset: true, error: AWAY_UNTIL_MESSAGE }).nullable().optional(),
}).refine((body) => body.role !== undefined || body.awayUntil !== undefined, { error: "must contain role, awayUntil or both" });

function presentMember(member: FirmMember, now: Date) {
  return {
    userId: member.userId,
    name: member.name,
    email: member.email,
    role: member.role,
    awayUntil: member.awayUntil?.toISOString() ?? null,
    // Routing skips a person while this is true. It turns false by itself once awayUntil passes.
    away: member.awayUntil !== null && member.awayUntil > now,
  };
}

/** Finds a member of the calling firm, or throws 404. Another firm's member is reported like a user who does not exist. */
async function requireMember(c: Context<HonoEnv>, userId: string): Promise<FirmMember> {
  const member = userId.length <= 64 ? await findFirmMember(c.get("services").db, c.get("firmId"), userId) : null;
  if (!member) throw notFound(`Member ${userId.slice(0, 64)}`);
  return member;
}

/** Rejects with 403 unless the caller is an owner, for changes that give or take the owner role. */
function requireOwnerFor(c: Context<HonoEnv>, what: string, field?: string): void {
  const role = actorRole(c.get("actor"));
  if (!hasRole(role, "owner")) {
    throw new ApiError("forbidden", `Only an owner can ${what}; your role is ${role}.`, field ? { field } : {});
  }
}

const lastOwnerError = (member: FirmMember, action: string, field?: string) =>
  new ApiError("conflict", `${member.name} is the firm's only owner and cannot be ${action}. Make another member an owner first.`, field ? { field } : {});

/** Changes a member's role, applying the owner rules: only an owner gives or takes the owner role, and a firm keeps one. */
async function changeRole(c: Context<HonoEnv>, member: FirmMember, role: FirmRole): Promise<void> {
  if (role === member.role) return;
  if (role === "owner" || member.role === "owner") requireOwnerFor(c, "give or take the owner role", "role");

  const services = c.get("services");
  const firmId = c.get("firmId");
  const outcome = await setMemberRole(services.db, firmId, member.userId, role);
  if (outcome === "not_found") throw notFound(`Member ${member.userId}`);
  if (outcome === "last_owner") throw lastOwnerError(member, "given another role", "role");
  services.logger.info("member.role_changed", { firmId, userId: member.userId, from: member.role, to: role });
}

/**
 * Registers the member routes. `GET /v1/members` lists the firm's people with their roles and whether they are
 * away. `PATCH /v1/members/{userId}` changes one's role, or marks them away until a date and time (or back with
 * null). `DELETE /v1/members/{userId}` removes one and hands their open work to the firm's fallback owner.
 */
export function registerMemberRoutes(app: Hono<HonoEnv>) {
  app.get("/v1/members", requireFirm("viewer"), async (c) => {
    const members = await listFirmMembers(c.get("services").db, c.get("firmId"));
    const now = new Date();
    return c.json({ data: members.map((member) => presentMember(member, now)) });
  });

  app.patch("/v1/members/:userId", requireFirm("admin"), async (c) => {
    const services = c.get("services");
    const firmId = c.get("firmId");
    const userId = c.req.param("userId");
    const body = await parseJsonBody(c, memberPatchSchema);

    const now = new Date();
    const awayUntil = body.awayUntil ? new Date(body.awayUntil) : null;
    if (awayUntil && awayUntil <= now) {
      throw new ApiError("validation_failed", "awayUntil is in the past. Send a later date and time, or null to mark the person back.", { field: "awayUntil" });
    }

    const member = await requireMember(c, userId);
    if (body.role !== undefined) await changeRole(c, member, body.role);

    if (body.awayUntil !== undefined) {
      const updated = await setMemberAwayUntil(services.db, firmId, member.userId, awayUntil);
      if (!updated) throw notFound(`Member ${member.userId}`);
      services.logger.info("member.away_updated", { firmId, userId: member.userId, away: awayUntil !== null });
    }

    const changed = await findFirmMember(services.db, firmId, member.userId);
    if (!changed) throw notFound(`Member ${member.userId}`);
    return c.json(presentMember(changed, now));
  });

  app.delete("/v1/members/:userId", requireFirm("admin"), async (c) => {
    const services = c.get("services");
    const firmId = c.get("firmId");
    const actor = c.get("actor");
    const member = await requireMember(c, c.req.param("userId"));

    if (member.role === "owner") {
      requireOwnerFor(c, "remove an owner");
      if ((await countFirmOwners(services.db, firmId)) <= 1) throw lastOwnerError(member, "removed");
    }

    // The fallback owner takes the open work, unless they are the person leaving: then it waits unassigned.
    const settings = await findFollowUpSettings(services.db, firmId);
    const fallbackId = settings?.fallbackOwnerUserId ?? null;
    const fallback = fallbackId && fallbackId !== member.userId ? await findFirmMember(services.db, firmId, fallbackId) : null;

    const work = await findOpenWorkOf(services.db, firmId, member.userId);
    const removed = await removeFirmMember(services.db, {
      firmId,
      userId: member.userId,
      reassignTo: fallback ? { userId: fallback.userId, name: fallback.name } : null,
      removedName: member.name,
      work,
      actorUserId: actorUserId(actor),
      removedBy: actorLabel(actor),
      now: new Date(),
    });
    if (!removed) throw lastOwnerError(member, "removed");

    services.logger.info("member.removed", { firmId, userId: member.userId, reassignedTo: fallback?.userId ?? null, tasks: work.tasks.length, opportunities: work.opportunities.length });
    return c.json({
      userId: member.userId,
      reassignedToUserId: fallback?.userId ?? null,
      reassignedTasks: work.tasks.length,
      reassignedOpportunities: work.opportunities.length,
    });
  });
}
