import { newId, nextStage, type StageDecision, type StageEvent, type StageKey, type StageState } from "@plumbline/core";
import { findOpportunity, writeStageChange, writeStageOverride, type Database } from "@plumbline/db";
import type { Logger } from "../logger";

type OpportunityRow = NonNullable<Awaited<ReturnType<typeof findOpportunity>>>;

/** Reads the stage machine's state from an opportunity row. */
export function stageStateOf(opportunity: OpportunityRow): StageState {
  const override = opportunity.stageOverride;
  return {
    stage: opportunity.stage as StageKey,
    ...(override ? { override: { stage: override.stage as StageKey, at: new Date(override.at), by: override.by } } : {}),
    ...(opportunity.stageBeforeMeeting ? { stageBeforeMeeting: opportunity.stageBeforeMeeting as StageKey } : {}),
  };
}

/**
 * Applies one piece of evidence (or a person's override) to an opportunity's stage and records the move with
 * its receipt: the event, when, and where it came from. Returns the decision, or null when the opportunity does
 * not exist. A concurrent change is handled by deciding again on the fresh row, at most three times.
 * `actorUserId` is the signed-in person behind a manual event, recorded on its timeline entry.
 */
export async function applyStageEvent(
  db: Database,
  logger: Logger,
  firmId: string,
  opportunityId: string,
  event: StageEvent,
  now: Date = new Date(),
  actorUserId: string | null = null,
): Promise<StageDecision | null> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const opportunity = await findOpportunity(db, firmId, opportunityId);
    if (!opportunity) return null;

    const decision = nextStage(stageStateOf(opportunity), event);
    if (event.type === "manual_override" && !decision.changed && decision.state.override) {
      const override = decision.state.override;
      await writeStageOverride(db, {
        firmId,
        opportunityId,
        override: { stage: override.stage, at: override.at.toISOString(), by: override.by },
        activityId: newId("act", now.getTime()),
        actorUserId,
        data: { stage: override.stage, by: override.by, ...(event.reason ? { reason: event.reason } : {}) },
        now,
      });
      return decision;
    }
    if (!decision.changed || !decision.receipt) return decision;

    const closed = decision.stage === "won" || decision.stage === "lost" ? { at: now, reason: closeReasonOf(event, decision.stage) } : null;
    const override = decision.state.override;
    const written = await writeStageChange(db, {
      firmId,
      opportunityId,
      expectedStage: opportunity.stage,
      stage: decision.stage,
      stageOverride: override ? { stage: override.stage, at: override.at.toISOString(), by: override.by } : null,
      stageBeforeMeeting: decision.state.stageBeforeMeeting ?? null,
      closed,
      restartSilenceClock: event.type === "revived",
      activity: {
        id: newId("act", now.getTime()),
        type: "stage.changed",
        cause: event.type === "manual_override" ? "user" : "automation",
        origin: event.source,
        actorUserId,
        data: {
          from: decision.receipt.from,
          to: decision.receipt.to,
          event: decision.receipt.event,
          at: decision.receipt.at.toISOString(),
          source: decision.receipt.source,
          ...(decision.receipt.by ? { by: decision.receipt.by } : {}),
          ...("reason" in event && typeof event.reason === "string" ? { reason: event.reason } : {}),
        },
      },
      now,
    });
    if (written) {
      logger.info("stage.changed", { firmId, opportunityId, from: decision.receipt.from, to: decision.receipt.to, event: event.type });
      return decision;
    }
  }
  logger.warn("stage.change_conflict", { firmId, opportunityId, event: event.type });
  return null;
}

/** Why an opportunity closed, in words for the pipeline: the stall sweep closes for silence, "no response". */
function closeReasonOf(event: StageEvent, stage: "won" | "lost"): string {
  if (event.type === "lost" && event.source === "stall-sweep") return "no response";
  if (event.type === "manual_override") return event.reason ? `set to ${stage} by hand: ${event.reason}` : `set to ${stage} by hand`;
  return stage;
}
