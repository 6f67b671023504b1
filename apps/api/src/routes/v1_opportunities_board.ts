import { DEFAULT_STAGES } from "@plumbline/core";
import { listOpportunities } from "@plumbline/db";
import type { Hono } from "hono";
import { z } from "zod";
import type { HonoEnv } from "../context";
import { requireFirm } from "../middleware/firm-access";
import { parseQuery } from "./list-query";
import { presentListedOpportunity } from "./presenters";
import { loadPipelineSummary, pipelineFilterSchema, toStageFilters } from "./v1_opportunities_summary";

const LIMIT_MESSAGE = "must be a whole number from 1 to 100";

const querySchema = pipelineFilterSchema.extend({
  limit: z.coerce.number({ error: LIMIT_MESSAGE }).int({ error: LIMIT_MESSAGE }).min(1, { error: LIMIT_MESSAGE }).max(100, { error: LIMIT_MESSAGE }).default(25),
});

/**
 * `GET /v1/opportunities/board`: the whole pipeline in one call, which is the summary plus each stage's newest
 * `limit` opportunities with their contacts and a cursor for the rest (`GET /v1/opportunities?stage=…&cursor=…`
 * with the same filters). One request instead of one per stage spares the dashboard eight round trips and their
 * authentication. Registered before `/v1/opportunities/{id}`.
 */
export function registerOpportunityBoard(app: Hono<HonoEnv>) {
  app.get("/v1/opportunities/board", requireFirm("viewer"), async (c) => {
    const { limit, ...query } = parseQuery(querySchema, c.req.query());
    const { db } = c.get("services");
    const firmId = c.get("firmId");
    const filters = toStageFilters(query);

    const [summary, columns] = await Promise.all([
      loadPipelineSummary(db, firmId, filters),
      Promise.all(DEFAULT_STAGES.map((stage) => listOpportunities(db, firmId, { ...filters, stage: stage.key, limit }))),
    ]);

    return c.json({
      ...summary,
      stages: summary.stages.map((entry, index) => ({
        ...entry,
        opportunities: columns[index]!.data.map(presentListedOpportunity),
        nextCursor: columns[index]!.nextCursor,
      })),
    });
  });
}
