import { findFirmMember, listFirmMembers, setMemberAwayUntil, type FirmMember } from "@plumbline/db";
import type { Hono } from "hono";
import { z } from "zod";
import type { HonoEnv } from "../context";
import { ApiError, notFound } from "../errors";
import { requireFirm } from "../middleware/firm-access";
import { parseJsonBody, strictObject } from "./v1_settings";

const AWAY_UNTIL_MESSAGE = 'must be an ISO 8601 date and time with its offset, such as "2026-08-17T09:00:00+01:00", or null to mark the person back';

/** Body of `PATCH /v1/members/{userId}`. */
const awaySchema = strictObject({
  awayUntil: z.iso.datetime({ offset: true, error: AWAY_UNTIL_MESSAGE }).nullable(),
});

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

/**
 * Registers the member routes. `GET /v1/members` lists the firm's people with their roles and whether they are
 * away. `PATCH /v1/members/{userId}` marks one away until a date and time, or back with null.
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
    const body = await parseJsonBody(c, awaySchema);

    const now = new Date();
    const awayUntil = body.awayUntil === null ? null : new Date(body.awayUntil);
    if (awayUntil && awayUntil <= now) {
      throw new ApiError("validation_failed", "awayUntil is in the past. Send a later date and time, or null to mark the person back.", { field: "awayUntil" });
    }

    // Another firm's member is updated nowhere and reported like a user who does not exist.
    const updated = userId.length <= 64 && (await setMemberAwayUntil(services.db, firmId, userId, awayUntil));
    if (!updated) throw notFound(`Member ${userId.slice(0, 64)}`);
    services.logger.info("member.away_updated", { firmId, userId, away: awayUntil !== null });

    const member = await findFirmMember(services.db, firmId, userId);
    if (!member) throw notFound(`Member ${userId.slice(0, 64)}`);
    return c.json(presentMember(member, now));
  });
}
