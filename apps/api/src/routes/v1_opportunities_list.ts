import { DEFAULT_STAGES, type StageKey } from "@plumbline/core";
import { listOpportunities } from "@plumbline/db";
import type { Hono } from "hono";
import { z } from "zod";
import type { HonoEnv } from "../context";
import { requireFirm } from "../middleware/firm-access";
import { presentListedOpportunity } from "./presenters";
import { listQuerySchema, ownerFilter, parseQuery, stalledFilter } from "./list-query";

const filterValue = z.string().max(64, { error: "must be at most 64 characters" }).optional();

const STAGE_KEYS = DEFAULT_STAGES.map((stage) => stage.key) as [StageKey, ...StageKey[]];

const querySchema = listQuerySchema.extend({
  stage: z.enum(STAGE_KEYS, { error: `must be one of ${STAGE_KEYS.join(", ")}` }).optional(),
  channel: filterValue,
  contactId: filterValue,
  owner: ownerFilter,
  serviceLine: filterValue,
  stalled: stalledFilter,
});

/**
 * `GET /v1/opportunities`: the firm's opportunities, newest first, each with its contact, filterable by stage,
 * channel, contact, owner (`none` for unassigned), service line and whether stalled.
 */
export function registerListOpportunities(app: Hono<HonoEnv>) {
  app.get("/v1/opportunities", requireFirm("viewer"), async (c) => {
    const { owner, ...query } = parseQuery(querySchema, c.req.query());
    const page = await listOpportunities(c.get("services").db, c.get("firmId"), { ...query, ownerUserId: owner });
    return c.json({ data: page.data.map(presentListedOpportunity), nextCursor: page.nextCursor });
  });
}
