import { DEFAULT_STAGES, type StageKey } from "@plumbline/core";
import type { Hono } from "hono";
import { z } from "zod";
import type { HonoEnv } from "../context";
import { ApiError, notFound } from "../errors";
import { actorLabel, actorUserId, requireFirm } from "../middleware/firm-access";
import { setOpportunityValue } from "@plumbline/db";
import { applyStageEvent } from "../pipeline/apply";

const STAGE_KEYS = DEFAULT_STAGES.map((stage) => stage.key) as [StageKey, ...StageKey[]];

const overrideSchema = z.strictObject({
  stage: z.enum(STAGE_KEYS, { error: `must be one of ${STAGE_KEYS.join(", ")}` }),
  reason: z.string().trim().min(1, "is required: say why the stage is being set by hand").max(500),
});

/**
 * Evidence a firm's own systems report: a proposal or engagement letter sent, a matter won (with the fee, from
 * the practice-management system) or lost. These move the stage like any other evidence, forward only.
 */
const eventSchema = z.strictObject({
  type: z.enum(["proposal_sent", "won", "lost"], { error: "must be proposal_sent, won or lost" }),
  /** The fee in minor units (pence for GBP), usually sent with "won". */
  valueMinor: z.number().int().min(0).max(10_000_000_000).optional(),
  /** Which system reported it, such as "clio" or "api"; kept on the stage receipt. */
  source: z.string().trim().min(1).max(40).default("api"),
});

async function readJson(c: { req: { json: () => Promise<unknown> } }): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw new ApiError("invalid_request", "The body must be JSON.");
  }
}

/**
 * `POST /v1/opportunities/{id}/stage` sets a stage by hand, with a reason, on the timeline; automation then only
 * moves the opportunity past it. `POST /v1/opportunities/{id}/revive` reopens one closed as lost.
 */
export function registerOpportunityStageRoutes(app: Hono<HonoEnv>) {
  app.post("/v1/opportunities/:id/stage", requireFirm("partner"), async (c) => {
    const parsed = overrideSchema.safeParse(await readJson(c));
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.path.join(".") || "body";
      throw new ApiError("validation_failed", `${field} ${issue.message}`, { field });
    }

    const { db, logger } = c.get("services");
    const id = c.req.param("id");
    const actor = c.get("actor");
    const now = new Date();
    const event = { type: "manual_override", to: parsed.data.stage, at: now, source: "api", by: actorLabel(actor), reason: parsed.data.reason } as const;
    const decision = await applyStageEvent(db, logger, c.get("firmId"), id, event, now, actorUserId(actor));
    if (!decision) throw notFound(`Opportunity ${id.slice(0, 64)}`);
    return c.json({ stage: decision.stage, changed: decision.changed });
  });

  app.post("/v1/opportunities/:id/events", requireFirm("partner"), async (c) => {
    const parsed = eventSchema.safeParse(await readJson(c));
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.path.join(".") || "body";
      throw new ApiError("validation_failed", `${field} ${issue.message}`, { field });
    }

    const { db, logger } = c.get("services");
    const firmId = c.get("firmId");
    const id = c.req.param("id");
    if (parsed.data.valueMinor !== undefined) {
      const found = await setOpportunityValue(db, firmId, id, parsed.data.valueMinor, new Date());
      if (!found) throw notFound(`Opportunity ${id.slice(0, 64)}`);
    }
    const now = new Date();
    const decision = await applyStageEvent(db, logger, firmId, id, { type: parsed.data.type, at: now, source: parsed.data.source }, now, actorUserId(c.get("actor")));
    if (!decision) throw notFound(`Opportunity ${id.slice(0, 64)}`);
    return c.json({ stage: decision.stage, changed: decision.changed, reason: decision.reason });
  });

  app.post("/v1/opportunities/:id/revive", requireFirm("partner"), async (c) => {
    const { db, logger } = c.get("services");
    const id = c.req.param("id");
    const now = new Date();
    const decision = await applyStageEvent(db, logger, c.get("firmId"), id, { type: "revived", at: now, source: "api" }, now, actorUserId(c.get("actor")));
    if (!decision) throw notFound(`Opportunity ${id.slice(0, 64)}`);
    if (!decision.changed) throw new ApiError("conflict", `Opportunity ${id} is not closed as lost, so there is nothing to revive.`);
    return c.json({ stage: decision.stage, changed: true });
  });
}
