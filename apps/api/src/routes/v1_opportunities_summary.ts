import { DEFAULT_STAGES } from "@plumbline/core";
import { findFirm, listServiceLines, summariseStages } from "@plumbline/db";
import type { Hono } from "hono";
import { z } from "zod";
import type { HonoEnv } from "../context";
import { requireFirm } from "../middleware/firm-access";
import { ownerFilter, parseQuery, stalledFilter } from "./list-query";

const filterValue = z.string().max(64, { error: "must be at most 64 characters" }).optional();

const querySchema = z.object({ owner: ownerFilter, serviceLine: filterValue, channel: filterValue, stalled: stalledFilter });

/**
 * `GET /v1/opportunities/summary`: the pipeline header's counts per stage (every stage, in pipeline order, zero
 * when empty), with stalled counts and total value. The counts filter by owner (`none` for unassigned), service
 * line, channel and whether stalled. `serviceLines` lists every service line of the firm's opportunities, whatever
 * the filters, as the filter's choices. Registered before `/v1/opportunities/{id}`, which would otherwise take
 * "summary" for an id.
 */
export function registerOpportunitySummary(app: Hono<HonoEnv>) {
  app.get("/v1/opportunities/summary", requireFirm("viewer"), async (c) => {
    const query = parseQuery(querySchema, c.req.query());
    const { db } = c.get("services");
    const firmId = c.get("firmId");
    const [rows, firm, serviceLines] = await Promise.all([
      summariseStages(db, firmId, { ownerUserId: query.owner, serviceLine: query.serviceLine, channel: query.channel, stalled: query.stalled }),
      findFirm(db, firmId),
      listServiceLines(db, firmId),
    ]);
    const byStage = new Map(rows.map((row) => [row.stage, row]));
    const stages = DEFAULT_STAGES.map((stage) => {
      const row = byStage.get(stage.key);
      return { stage: stage.key, count: row?.count ?? 0, stalled: row?.stalled ?? 0, valueMinor: row?.valueMinor ?? 0 };
    });
    return c.json({ stages, currency: firm?.currency ?? "GBP", serviceLines });
  });
}
