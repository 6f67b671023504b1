import { describeStall, isOpenStage, newId, stallState, type OpenStageKey, type StageKey } from "@plumbline/core";
import { findLatestMeeting, findNextMeeting, findOpportunitiesDueForStallCheck, recordStallCheck, type Database } from "@plumbline/db";
import type { Logger } from "../logger";
import { applyStageEvent } from "../pipeline/apply";

/** Opportunities checked per cron run. The index on next_stall_check_at means each run reads only due ones. */
export const STALL_BATCH = 100;

const DAY_MS = 86_400_000;

/**
 * Flags opportunities that have gone quiet for their stage, and closes as lost those silent past the firm's
 * limit, with reason "no response". Reads only opportunities whose check is due (indexed), in bounded batches,
 * and every write is guarded by the check time it read, so a sweep that runs twice acts once.
 */
export async function runStallSweep(db: Database, logger: Logger, now: Date): Promise<void> {
  const due = await findOpportunitiesDueForStallCheck(db, now, STALL_BATCH);
  let stalled = 0;
  let closed = 0;

  for (const { opportunity, firm } of due) {
    const stage = opportunity.stage as StageKey;
    if (!isOpenStage(stage) || opportunity.closedAt) {
      await recordStallCheck(db, {
        firmId: firm.id,
        opportunityId: opportunity.id,
        expectedCheckAt: opportunity.nextStallCheckAt!,
        stalled: null,
        wasStalled: false,
        nextCheckAt: new Date(now.getTime() + 365 * DAY_MS),
        activityId: newId("act", now.getTime()),
        now,
      });
      continue;
    }

    // The stall clock of a booked stage runs from the meeting: the next one, or the latest once it has started.
    const nextMeeting = await findNextMeeting(db, firm.id, opportunity.id, now);
    const meeting = nextMeeting ?? (await findLatestMeeting(db, firm.id, opportunity.id, now));
    const enteredStageAt = opportunity.stageEnteredAt ?? opportunity.createdAt;
    const verdict = stallState({
      stage,
      enteredStageAt,
      lastActivityAt: opportunity.lastActivityAt,
      lastProspectActivityAt: opportunity.lastProspectActivityAt ?? opportunity.createdAt,
      ...(meeting?.startsAt ? { meetingAt: meeting.startsAt } : {}),
      hasFutureMeeting: nextMeeting !== null,
      now,
      stallDays: firm.stallDays as Partial<Record<OpenStageKey, number>>,
      closeAsLostDays: firm.closeAsLostDays,
    });

    if (verdict.status === "close_as_lost") {
      const decision = await applyStageEvent(db, logger, firm.id, opportunity.id, { type: "lost", at: now, source: "stall-sweep" }, now);
      if (decision?.changed) closed++;
      continue;
    }

    const wrote = await recordStallCheck(db, {
      firmId: firm.id,
      opportunityId: opportunity.id,
      expectedCheckAt: opportunity.nextStallCheckAt!,
      // The reason counts the quiet days from the same clock that flagged the stall, so it agrees with the verdict.
      stalled: verdict.status === "stalled" ? { reason: describeStall(stage, verdict, now) } : null,
      wasStalled: opportunity.stalledAt !== null,
      nextCheckAt: verdict.dueAt.getTime() > now.getTime() ? verdict.dueAt : new Date(now.getTime() + DAY_MS),
      activityId: newId("act", now.getTime()),
      now,
    });
    if (wrote && verdict.status === "stalled" && opportunity.stalledAt === null) stalled++;
  }

  if (due.length > 0) logger.info("stalls.swept", { checked: due.length, stalled, closed });
}
