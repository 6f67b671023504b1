import type { StageKey } from "@plumbline/core";
import { DAY_MS } from "./clock";
import { momentOf, type Moment, type Prospect, type ScheduledStep } from "./scenario";

/*
 * What each prospect's opportunity should look like at the end, worked out from the script alone with a small
 * model of the documented pipeline rules. It deliberately does not call the production stage functions: it is
 * the second opinion the simulation compares them with.
 *
 * The rules, as the model applies them:
 * - An enquiry opens a deal in `new`, and the acknowledgement email (sent at once) moves it to `acknowledged`.
 *   A booking from someone with no open deal opens one in `new` first.
 * - Evidence moves a deal forward only, in the order of STAGE_ORDER; won and lost deals stay closed. After a
 *   person set a stage by hand, automation may only move the deal past that stage.
 * - A cancelled meeting returns a deal still in `meeting_booked` to the stage it had before the booking, unless
 *   another meeting is still ahead, and never below a stage set by hand.
 * - A deal is stalled when it has sat in its stage too long. The limits are new 2 days and acknowledged 3, both
 *   counted from entering the stage. They are in_conversation 10, meeting_held 7 and proposal_sent 14, counted
 *   from entering the stage or the latest activity, whichever is later, and meeting_booked 14 from the meeting.
 *   A deal with a meeting still ahead is not stalled.
 * - The cron closes a deal as lost, reason "no response", at its first run 45 days or more after the prospect's
 *   latest enquiry, booking or reschedule, unless the deal is in new or acknowledged or has a meeting ahead.
 * - Reviving a lost deal reopens it in `in_conversation`, clears any stage set by hand and restarts the
 *   silence clock.
 * - A partner's email to the prospect is the firm's response: the first one sets the first response time and
 *   moves the deal to `in_conversation`. A prospect's email is their activity and restarts the silence clock.
 *   An out-of-office reply from either side is logged only: no response, no stage, no silence clock.
 * - A stall is flagged at the first cron run that finds the deal stalled, and each new stall is one
 *   `opportunity.stalled` entry on the timeline. Activity that ends a stall clears the flag at the next run.
 */

export const STAGE_ORDER: readonly StageKey[] = ["new", "acknowledged", "in_conversation", "meeting_booked", "meeting_held", "proposal_sent", "won", "lost"];

const STALL_DAYS: Readonly<Record<string, number>> = {
  new: 2,
  acknowledged: 3,
  in_conversation: 10,
  meeting_booked: 14,
  meeting_held: 7,
  proposal_sent: 14,
};
const CLOSE_AS_LOST_DAYS = 45;
const AWAITING_FIRM = new Set<StageKey>(["new", "acknowledged"]);

export interface ExpectedOutcome {
  key: string;
  story: string;
  origin: "web_form" | "booking";
  stage: StageKey;
  stalled: boolean;
  closeReason: string | null;
  /** Every stage change, oldest first, as "from→to". */
  moves: string[];
  /** Distinct bookings, where a reschedule keeps its booking. */
  meetings: number;
  /** Times a cron run found the deal newly stalled. */
  stallEpisodes: number;
  /** The firm's first human reply, or null. */
  firstResponseAt: Date | null;
  channel: string;
  serviceLine: string | null;
}

interface ModelMeeting {
  startsAt: number;
  status: "booked" | "cancelled" | "held";
}

class ModelDeal {
  stage: StageKey = "new";
  enteredAt: number;
  lastActivityAt: number;
  lastProspectAt: number;
  overrideStage: StageKey | null = null;
  stageBeforeMeeting: StageKey | null = null;
  closeReason: string | null = null;
  firstResponseAt: number | null = null;
  readonly moves: string[] = [];
  readonly meetings = new Map<string, ModelMeeting>();

  constructor(at: number) {
    this.enteredAt = at;
    this.lastActivityAt = at;
    this.lastProspectAt = at;
  }

  get closed(): boolean {
    return this.stage === "won" || this.stage === "lost";
  }

  moveTo(stage: StageKey, at: number, closeReason: string | null = null) {
    this.moves.push(`${this.stage}→${stage}`);
    this.stageBeforeMeeting = stage === "meeting_booked" ? this.stage : null;
    this.stage = stage;
    this.enteredAt = at;
    this.closeReason = stage === "won" || stage === "lost" ? (closeReason ?? stage) : null;
  }

  /** Moves forward to `stage` when the rules allow it, and returns whether it moved. */
  advance(stage: StageKey, at: number): boolean {
    if (this.closed) return false;
    if (rank(stage) <= rank(this.stage)) return false;
    if (this.overrideStage && rank(stage) <= rank(this.overrideStage)) return false;
    this.moveTo(stage, at);
    return true;
  }

  touch(at: number, fromProspect: boolean) {
    this.lastActivityAt = Math.max(this.lastActivityAt, at);
    if (fromProspect) this.lastProspectAt = Math.max(this.lastProspectAt, at);
  }

  hasMeetingAhead(at: number): boolean {
    return [...this.meetings.values()].some((meeting) => meeting.status === "booked" && meeting.startsAt > at);
  }

  /** Returns the start of the latest meeting that has begun and was not cancelled, if any. */
  latestMeetingStart(at: number): number | undefined {
    const started = [...this.meetings.values()].filter((meeting) => meeting.status !== "cancelled" && meeting.startsAt <= at);
    return started.length > 0 ? Math.max(...started.map((meeting) => meeting.startsAt)) : undefined;
  }

  isStalled(at: number): boolean {
    if (this.closed || this.hasMeetingAhead(at)) return false;
    const days = STALL_DAYS[this.stage]!;
    return at >= this.stallClockStart(at) + days * DAY_MS;
  }

  shouldCloseForSilence(at: number): boolean {
    if (this.closed || AWAITING_FIRM.has(this.stage) || this.hasMeetingAhead(at)) return false;
    return at >= this.lastProspectAt + CLOSE_AS_LOST_DAYS * DAY_MS;
  }

  private stallClockStart(at: number): number {
    if (AWAITING_FIRM.has(this.stage)) return this.enteredAt;
    const meetingStart = this.stage === "meeting_booked" ? this.latestMeetingStart(at) : undefined;
    return Math.max(this.enteredAt, this.lastActivityAt, meetingStart ?? 0);
  }
}

function rank(stage: StageKey): number {
  return STAGE_ORDER.indexOf(stage);
}

/**
 * Plays one prospect's steps and every cron run up to `end` through the model, and returns the outcome the
 * production code should have stored by the last cron run.
 */
export function expectOutcome(prospect: Prospect, cronRuns: Date[], end: Date): ExpectedOutcome {
  const steps = prospect.steps;
  const timeline: Array<{ at: number; step?: ScheduledStep }> = [
    ...steps.map((step) => ({ at: step.at.getTime(), step })),
    ...cronRuns.filter((run) => run <= end).map((run) => ({ at: run.getTime() })),
  ].sort((a, b) => a.at - b.at);

  let deal: ModelDeal | undefined;
  let origin: "web_form" | "booking" = "web_form";
  let stalled = false;
  let stallEpisodes = 0;

  for (const { at, step } of timeline) {
    if (!step) {
      if (deal?.shouldCloseForSilence(at)) deal.moveTo("lost", at, "no response");
      const stalledNow = deal?.isStalled(at) ?? false;
      if (stalledNow && !stalled) stallEpisodes += 1;
      stalled = stalledNow;
      continue;
    }
    if (!deal) {
      origin = step.action.kind === "enquire" ? "web_form" : "booking";
      deal = new ModelDeal(at);
    }
    applyStep(deal, step, prospect, at);
  }
  if (!deal) throw new Error(`${prospect.key} has no steps before the end of the simulation`);

  return {
    key: prospect.key,
    story: prospect.story,
    origin,
    stage: deal.stage,
    stalled: deal.isStalled(end.getTime()),
    closeReason: deal.closeReason,
    moves: deal.moves,
    meetings: deal.meetings.size,
    stallEpisodes,
    firstResponseAt: deal.firstResponseAt === null ? null : new Date(deal.firstResponseAt),
    channel: origin === "web_form" ? prospect.source.channel : "booking",
    serviceLine: origin === "web_form" ? prospect.service.serviceLine : null,
  };
}

function applyStep(deal: ModelDeal, step: ScheduledStep, prospect: Prospect, at: number) {
  const action = step.action;
  switch (action.kind) {
    case "enquire":
      deal.touch(at, true);
      deal.advance("acknowledged", at);
      return;

    case "book":
      deal.meetings.set(action.meeting, { startsAt: startOf(prospect, action.startsAt), status: "booked" });
      deal.touch(at, true);
      deal.advance("meeting_booked", at);
      return;

    case "reschedule": {
      const meeting = deal.meetings.get(action.meeting)!;
      meeting.startsAt = startOf(prospect, action.startsAt);
      deal.touch(at, true);
      return;
    }

    case "cancel": {
      deal.meetings.get(action.meeting)!.status = "cancelled";
      deal.touch(at, false);
      const back = deal.stageBeforeMeeting;
      const belowOverride = back !== null && deal.overrideStage !== null && rank(back) < rank(deal.overrideStage);
      if (deal.stage === "meeting_booked" && back && !deal.hasMeetingAhead(at) && !belowOverride) deal.moveTo(back, at);
      return;
    }

    case "meetingEnded":
      deal.meetings.get(action.meeting)!.status = "held";
      deal.touch(at, false);
      deal.advance("meeting_held", at);
      return;

    case "evidence":
      deal.advance(action.type, at);
      return;

    case "override":
      deal.overrideStage = action.stage;
      if (deal.stage !== action.stage) deal.moveTo(action.stage, at, `set to ${action.stage} by hand: ${action.reason}`);
      deal.stageBeforeMeeting = null;
      return;

    case "revive":
      // Revival restarts the silence clock: with the old clock, the next cron run would close the deal again.
      if (deal.stage !== "lost") return;
      deal.overrideStage = null;
      deal.moveTo("in_conversation", at);
      deal.touch(at, true);
      return;

    case "email":
      if (action.outOfOffice) return;
      if (action.from === "prospect") {
        deal.touch(at, true);
        return;
      }
      deal.touch(at, false);
      deal.firstResponseAt ??= at;
      deal.advance("in_conversation", at);
      return;
  }
}

function startOf(prospect: Prospect, moment: Moment): number {
  return momentOf(prospect, moment).getTime();
}
