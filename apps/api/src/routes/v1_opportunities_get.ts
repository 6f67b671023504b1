import { getOpportunityDetail } from "@plumbline/db";
import type { Hono } from "hono";
import type { HonoEnv } from "../context";
import { notFound } from "../errors";
import { requireFirm } from "../middleware/firm-access";
import { presentActivity, presentContact, presentOpportunity } from "./presenters";

/** `GET /v1/opportunities/{id}`: one opportunity with its contact and timeline. Another firm's id is not found. */
export function registerGetOpportunity(app: Hono<HonoEnv>) {
  app.get("/v1/opportunities/:id", requireFirm("viewer"), async (c) => {
    const id = c.req.param("id");
    const detail = id.length <= 64 ? await getOpportunityDetail(c.get("services").db, c.get("firmId"), id) : null;
    if (!detail) throw notFound(`Opportunity ${id.slice(0, 64)}`);

    return c.json({
      ...presentOpportunity(detail.opportunity),
      contact: presentContact(detail.contact),
      timeline: detail.timeline.map(presentActivity),
      timelineTruncated: detail.timelineTruncated,
    });
  });
}
