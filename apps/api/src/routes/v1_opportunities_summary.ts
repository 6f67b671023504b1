import { DEFAULT_STAGES } from "@plumbline/core";
import { findFirm, listServiceLines, summariseStages, type Database, type StageSummaryFilters } from "@plumbline/db";
import type { Hono } from "hono";
import { z } from "zod";
import type { HonoEnv } from "../context";
import { requireFirm } from "../middleware/firm-access";
import { ownerFilter, parseQuery, stalledFilter } from "./list-query";

const filterValue = z.string().max(64, { error: "must be at most 64 characters" }).optional();

/** The pipeline's filters, shared by the summary and the board. */
export const pipelineFilterSchema = z.object({ owner: ownerFilter, serviceLine: filterValue, channel: filterValue, stalled: stalledFilter });

export function toStageFilters(query: z.infer<typeof pipelineFilterSchema>): StageSummaryFilters {
  return { ownerUserId: query.owner, serviceLine: query.serviceLine, channel: query.channel, stalled: query.stalled };
}

/**
 * Counts per stage (every stage, in pipeline order, zero when empty) with the firm's currency and every service
 * line its opportunities use, whatever the filters, as the filter's choices.
 */
export async function loadPipelineSummary(db: Database, firmId: string, filters: StageSummaryFilters) {
  const [rows, firm, serviceLines] = await Promise.all([summariseStages(db, firmId, filters), findFirm(db, firmId), listServiceLines(db, firmId)]);
  const byStage = new Map(rows.map((row) => [row.stage, row]));
  const stages = DEFAULT_STAGES.map((stage) => {
    const row = byStage.get(stage.key);
    return { stage: stage.key, count: row?.count ?? 0, stalled: row?.stalled ?? 0, valueMinor: row?.valueMinor ?? 0 };
  });
  return { stages, currency: firm?.currency ?? "GBP", serviceLines };
}

/**
 * `GET /v1/opportunities/summary`: the pipeline header's counts per stage, with stalled counts and total value,
 * filtered by owner (`none` for unassigned), service line, channel and whether stalled, and the firm's service
 * lines. Registered before `/v1/opportunities/{id}`, which would otherwise take "summary" for an id.
 */
export function registerOpportunitySummary(app: Hono<HonoEnv>) {
  app.get("/v1/opportunities/summary", requireFirm("viewer"), async (c) => {
    const query = parseQuery(pipelineFilterSchema, c.req.query());
    return c.json(await loadPipelineSummary(c.get("services").db, c.get("firmId"), toStageFilters(query)));
  });
}
