import { DEFAULT_STAGES, type StageKey } from "./stages";

/*
 * The rules that move a deal through DEFAULT_STAGES, and the stall check the sweep runs. Both are pure: the
 * caller loads the state, passes the time in, and stores what comes back.
 *
 * Movement rules, in the order nextStage applies them:
 * 1. A person's manual_override always applies, to any stage, and is remembered as the override.
 * 2. With an override in place, an automatic event dated at or before the override is ignored: the person
 *    decided with it already known, or it is a late webhook. A later event may move the deal only to a stage
 *    after the overridden one. The exceptions are a cancelled meeting, which may return the deal to the
 *    overridden stage but not before it, and revival (rule 3).
 * 3. `revived` reopens a lost deal to in_conversation and clears the override. Won deals are not revived,
 *    because new work from a client is a new opportunity.
 * 4. Otherwise won and lost are final: automatic events do not move them.
 * 5. `meeting_cancelled` returns a deal still in meeting_booked to the stage it had before automation booked
 *    the meeting, unless another meeting is still booked. This is the only automatic move backwards.
 * 6. Every other event moves the deal to its stage only if that stage comes later in DEFAULT_STAGES.
 */

export type OpenStageKey = Exclude<StageKey, "won" | "lost">;

/** Events that move a deal forward to one fixed stage. */
export type ForwardStageEventType =
  | "acknowledgement_sent"
  | "first_human_reply"
  | "meeting_booked"
  | "meeting_held"
  | "proposal_sent"
  | "won"
  | "lost";

export type AutomaticStageEventType = ForwardStageEventType | "meeting_cancelled" | "revived";

/** An event for nextStage. `source` names its producer, such as "calendly" or "stall-sweep", for the receipt. */
export type StageEvent =
  | { type: ForwardStageEventType | "revived"; at: Date; source: string }
  | { type: "meeting_cancelled"; at: Date; source: string; otherMeetingBooked?: boolean }
  | { type: "manual_override"; to: StageKey; at: Date; source: string; by: string; reason?: string };

/** A stage a person chose, which automation may only move past. */
export interface StageOverride {
  stage: StageKey;
  at: Date;
  by: string;
}

export interface StageState {
  stage: StageKey;
  override?: StageOverride;
  /** The stage before automation moved the deal to meeting_booked, kept only while the deal stays there. */
  stageBeforeMeeting?: StageKey;
}

/** The record of one stage change, for the deal's history. `by` is set for a person's change. */
export interface StageReceipt {
  from: StageKey;
  to: StageKey;
  event: StageEvent["type"];
  at: Date;
  source: string;
  by?: string;
}

export type StageDecisionReason =
  | "advanced"
  | "returned_after_cancel"
  | "revived"
  | "overridden"
  | "not_forward"
  | "closed"
  | "before_override"
  | "below_override"
  | "not_meeting_booked"
  | "other_meeting_booked"
  | "no_prior_stage"
  | "not_closed"
  | "won_not_revived";

/** The outcome of one event: the new state to store and, when the stage changed, the receipt to record. */
export interface StageDecision {
  stage: StageKey;
  changed: boolean;
  receipt?: StageReceipt;
  reason: StageDecisionReason;
  state: StageState;
}

const STAGE_INDEX = new Map<StageKey, number>(DEFAULT_STAGES.map((stage, index) => [stage.key, index]));

const FORWARD_TARGET: Readonly<Record<ForwardStageEventType, StageKey>> = {
  acknowledgement_sent: "acknowledged",
  first_human_reply: "in_conversation",
  meeting_booked: "meeting_booked",
  meeting_held: "meeting_held",
  proposal_sent: "proposal_sent",
  won: "won",
  lost: "lost",
};

export function isOpenStage(stage: StageKey): stage is OpenStageKey {
  return stage !== "won" && stage !== "lost";
}

/** Returns the position of a stage in DEFAULT_STAGES, where a later stage has a larger index. */
export function stageIndex(stage: StageKey): number {
  return STAGE_INDEX.get(stage) ?? -1;
}

/** Applies one event to a deal's stage by the rules at the top of this file. */
export function nextStage(current: StageState, event: StageEvent): StageDecision {
  if (event.type === "manual_override") return applyOverride(current, event);

  const override = current.override;
  if (override && event.at.getTime() <= override.at.getTime()) return unchanged(current, "before_override");

  if (event.type === "revived") return applyRevival(current, event);
  if (!isOpenStage(current.stage)) return unchanged(current, "closed");
  if (event.type === "meeting_cancelled") return applyCancellation(current, event);

  const target = FORWARD_TARGET[event.type];
  if (stageIndex(target) <= stageIndex(current.stage)) return unchanged(current, "not_forward");
  if (override && stageIndex(target) <= stageIndex(override.stage)) return unchanged(current, "below_override");

  const state: StageState = {
    stage: target,
    override,
    stageBeforeMeeting: target === "meeting_booked" ? current.stage : undefined,
  };
  return moved(current, state, event, "advanced");
}

function applyOverride(current: StageState, event: Extract<StageEvent, { type: "manual_override" }>): StageDecision {
  // The person's choice replaces automation's memory of the pre-meeting stage, so a cancellation cannot undo it.
  const state: StageState = { stage: event.to, override: { stage: event.to, at: event.at, by: event.by } };
  if (event.to === current.stage) return { stage: event.to, changed: false, reason: "overridden", state };
  return moved(current, state, event, "overridden", event.by);
}

function applyRevival(current: StageState, event: StageEvent): StageDecision {
  if (current.stage === "won") return unchanged(current, "won_not_revived");
  if (current.stage !== "lost") return unchanged(current, "not_closed");

  return moved(current, { stage: "in_conversation" }, event, "revived");
}

function applyCancellation(
  current: StageState,
  event: Extract<StageEvent, { type: "meeting_cancelled" }>,
): StageDecision {
  if (current.stage !== "meeting_booked") return unchanged(current, "not_meeting_booked");
  if (event.otherMeetingBooked) return unchanged(current, "other_meeting_booked");

  const target = current.stageBeforeMeeting;
  if (!target) return unchanged(current, "no_prior_stage");
  if (current.override && stageIndex(target) < stageIndex(current.override.stage)) {
    return unchanged(current, "below_override");
  }

  return moved(current, { stage: target, override: current.override }, event, "returned_after_cancel");
}

function unchanged(current: StageState, reason: StageDecisionReason): StageDecision {
  return { stage: current.stage, changed: false, reason, state: current };
}

function moved(
  current: StageState,
  state: StageState,
  event: StageEvent,
  reason: StageDecisionReason,
  by?: string,
): StageDecision {
  const receipt: StageReceipt = {
    from: current.stage,
    to: state.stage,
    event: event.type,
    at: event.at,
    source: event.source,
    ...(by ? { by } : {}),
  };
  return { stage: state.stage, changed: true, receipt, reason, state };
}

// ---------------------------------------------------------------------------------------------------------------
// Stall detection

const DAY_MS = 86_400_000;

/**
 * Days a deal may sit in each open stage without movement before it counts as stalled. Days are 24-hour
 * periods, weekends included. meeting_booked counts from the meeting's start, not from the booking.
 */
export const DEFAULT_STALL_DAYS: Readonly<Record<OpenStageKey, number>> = {
  new: 2,
  acknowledged: 3,
  in_conversation: 10,
  meeting_booked: 14,
  meeting_held: 7,
  proposal_sent: 14,
};

/** Days without a word from the prospect before a deal the firm has engaged should close as lost. */
export const DEFAULT_CLOSE_AS_LOST_DAYS = 45;

/**
 * Stages waiting on the firm's first human reply. Their stall clock starts when the deal entered the stage, so a
 * prospect's chaser does not reset it, and silence never closes them: the firm, not the prospect, is silent.
 */
const AWAITING_FIRM: ReadonlySet<OpenStageKey> = new Set(["new", "acknowledged"]);

export interface StallInput {
  stage: OpenStageKey;
  enteredStageAt: Date;
  /** Latest message or meeting in either direction. */
  lastActivityAt: Date;
  /** Latest message or booking from the prospect: the silence clock for closing as lost. */
  lastProspectActivityAt: Date;
  /** Start of the deal's next meeting when one is booked, else of its latest meeting. */
  meetingAt?: Date;
  hasFutureMeeting: boolean;
  now: Date;
  stallDays?: Partial<Record<OpenStageKey, number>>;
  closeAsLostDays?: number;
}

export type StallStatus = "active" | "stalled" | "close_as_lost";

export type StallReason = "future_meeting" | "on_track" | "stage_overdue" | "silent_too_long";

/** Event that started a stage's stall clock: entering the stage, the latest activity, or the meeting's start. */
export type StallClockStart = "stage_entered" | "activity" | "meeting";

/** `dueAt` is the next time the sweep must look at the deal: when its status can change or a reminder is due. */
export interface StallResult {
  status: StallStatus;
  dueAt: Date;
  reason: StallReason;
  /** Start of the stage's stall clock, from which the quiet days count. */
  clockStartedAt: Date;
  clockStartedBy: StallClockStart;
  /** Days the stage may stay quiet before the deal counts as stalled: the firm's setting, else the default. */
  stallDays: number;
}

/**
 * Decides whether an open deal is on track, stalled in its stage, or silent long enough to close as lost.
 * A booked future meeting suppresses both, and without `meetingAt` the sweep looks again a day later.
 */
export function stallState(input: StallInput): StallResult {
  const now = input.now.getTime();
  const stageDays = input.stallDays?.[input.stage] ?? DEFAULT_STALL_DAYS[input.stage];
  const clock = stallClockStart(input);
  const basis = { clockStartedAt: new Date(clock.at), clockStartedBy: clock.by, stallDays: stageDays };

  if (input.hasFutureMeeting) {
    const meetingAt = input.meetingAt?.getTime();
    const dueAt = meetingAt !== undefined && meetingAt > now ? meetingAt : now + DAY_MS;
    return { status: "active", dueAt: new Date(dueAt), reason: "future_meeting", ...basis };
  }

  const stallAt = clock.at + stageDays * DAY_MS;
  const closeDays = input.closeAsLostDays ?? DEFAULT_CLOSE_AS_LOST_DAYS;
  const closeAt = AWAITING_FIRM.has(input.stage)
    ? undefined
    : input.lastProspectActivityAt.getTime() + closeDays * DAY_MS;

  if (closeAt !== undefined && now >= closeAt) {
    return { status: "close_as_lost", dueAt: input.now, reason: "silent_too_long", ...basis };
  }

  if (now >= stallAt) {
    // A stage that never closes for silence is looked at again once per stall period, to repeat the reminder.
    const dueAt = closeAt ?? now + stageDays * DAY_MS;
    return { status: "stalled", dueAt: new Date(dueAt), reason: "stage_overdue", ...basis };
  }

  const dueAt = closeAt === undefined ? stallAt : Math.min(stallAt, closeAt);
  return { status: "active", dueAt: new Date(dueAt), reason: "on_track", ...basis };
}

function stallClockStart(input: StallInput): { at: number; by: StallClockStart } {
  if (AWAITING_FIRM.has(input.stage)) return { at: input.enteredStageAt.getTime(), by: "stage_entered" };

  const meetingAnchor = input.stage === "meeting_booked" && input.meetingAt !== undefined;
  const anchor = meetingAnchor ? input.meetingAt! : input.enteredStageAt;
  if (input.lastActivityAt.getTime() > anchor.getTime()) return { at: input.lastActivityAt.getTime(), by: "activity" };
  return { at: anchor.getTime(), by: meetingAnchor ? "meeting" : "stage_entered" };
}

/**
 * Writes why a deal is stalled, for the pipeline page and the timeline: the whole days its stage has been quiet at
 * `at`, the stage's display name, and the firm's limit for it, such as "16 days without activity in Meeting held
 * (limit 7 days)". Whole days are rounded down, so the count is never more than the truth.
 */
export function describeStall(stage: OpenStageKey, verdict: Pick<StallResult, "clockStartedAt" | "clockStartedBy" | "stallDays">, at: Date): string {
  const quietDays = Math.max(0, Math.floor((at.getTime() - verdict.clockStartedAt.getTime()) / DAY_MS));
  const label = DEFAULT_STAGES.find((candidate) => candidate.key === stage)?.label ?? stage;
  const limit = `(limit ${dayCount(verdict.stallDays)})`;

  if (AWAITING_FIRM.has(stage)) return `${dayCount(quietDays)} in ${label} without a reply from the firm ${limit}`;
  if (verdict.clockStartedBy === "meeting") return `${dayCount(quietDays)} since the meeting without activity in ${label} ${limit}`;
  return `${dayCount(quietDays)} without activity in ${label} ${limit}`;
}

function dayCount(days: number): string {
  return days === 1 ? "1 day" : `${days} days`;
}
