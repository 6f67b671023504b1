import { DEFAULT_STAGES, type StageKey } from "@plumbline/core";
import type { Hono } from "hono";
import { z } from "zod";
import type { HonoEnv } from "../context";
import { ApiError, notFound } from "../errors";
import { requireApiKey } from "../middleware/api-key";
import { applyStageEvent } from "../pipeline/apply";

const STAGE_KEYS = DEFAULT_STAGES.map((stage) => stage.key) as [StageKey, ...StageKey[]];

const overrideSchema = z.strictObject({
  stage: z.enum(STAGE_KEYS, { error: `must be one of ${STAGE_KEYS.join(", ")}` }),
  reason: z.string().trim().min(1, "is required: say why the stage is being set by hand").max(500),
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
  app.post("/v1/opportunities/:id/stage", requireApiKey, async (c) => {
    const parsed = overrideSchema.safeParse(await readJson(c));
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.path.join(".") || "body";
      throw new ApiError("validation_failed", `${field} ${issue.message}`, { field });
    }

    const { db, logger } = c.get("services");
    const id = c.req.param("id");
    const decision = await applyStageEvent(db, logger, c.get("firmId"), id, {
      type: "manual_override",
      to: parsed.data.stage,
      at: new Date(),
      source: "api",
      by: c.get("apiKeyId"),
      reason: parsed.data.reason,
    });
    if (!decision) throw notFound(`Opportunity ${id.slice(0, 64)}`);
    return c.json({ stage: decision.stage, changed: decision.changed });
  });

  app.post("/v1/opportunities/:id/revive", requireApiKey, async (c) => {
    const { db, logger } = c.get("services");
    const id = c.req.param("id");
    const decision = await applyStageEvent(db, logger, c.get("firmId"), id, { type: "revived", at: new Date(), source: "api" });
    if (!decision) throw notFound(`Opportunity ${id.slice(0, 64)}`);
    if (!decision.changed) throw new ApiError("conflict", `Opportunity ${id} is not closed as lost, so there is nothing to revive.`);
    return c.json({ stage: decision.stage, changed: true });
  });
}
