import { describe, expect, it } from "vitest";
import {
  DEFAULT_CLOSE_AS_LOST_DAYS,
  DEFAULT_STALL_DAYS,
  describeStall,
  isOpenStage,
  nextStage,
  stageIndex,
  stallState,
  type AutomaticStageEventType,
  type ForwardStageEventType,
  type OpenStageKey,
  type StageDecisionReason,
  type StageEvent,
  type StageState,
  type StallInput,
} from "../../packages/core/src/pipeline/stage-machine";
import { DEFAULT_STAGES, type StageKey } from "../../packages/core/src/pipeline/stages";

const DAY = 86_400_000;
const HOUR = 3_600_000;
const AT = new Date("2025-03-03T09:00:00Z");
const EARLIER = new Date(AT.getTime() - HOUR);
const LATER = new Date(AT.getTime() + HOUR);

function auto(type: ForwardStageEventType | "revived", at: Date = AT): StageEvent {
  return { type, at, source: "test" };
}

function cancel(at: Date = AT, otherMeetingBooked?: boolean): StageEvent {
  return { type: "meeting_cancelled", at, source: "calendly", otherMeetingBooked };
}

function manual(to: StageKey, at: Date = AT): StageEvent {
  return { type: "manual_override", to, at, source: "dashboard", by: "usr_anna" };
}

interface MoveCase {
  name: string;
  state: StageState;
  event: StageEvent;
  stage: StageKey;
  reason: StageDecisionReason;
}

const forwardCases: MoveCase[] = [
  { name: "ack moves new on", state: { stage: "new" }, event: auto("acknowledgement_sent"), stage: "acknowledged", reason: "advanced" },
  { name: "reply skips ack", state: { stage: "new" }, event: auto("first_human_reply"), stage: "in_conversation", reason: "advanced" },
  { name: "reply after ack", state: { stage: "acknowledged" }, event: auto("first_human_reply"), stage: "in_conversation", reason: "advanced" },
  { name: "booking from new", state: { stage: "new" }, event: auto("meeting_booked"), stage: "meeting_booked", reason: "advanced" },
  { name: "booking in conversation", state: { stage: "in_conversation" }, event: auto("meeting_booked"), stage: "meeting_booked", reason: "advanced" },
  { name: "meeting held", state: { stage: "meeting_booked" }, event: auto("meeting_held"), stage: "meeting_held", reason: "advanced" },
  { name: "proposal after meeting", state: { stage: "meeting_held" }, event: auto("proposal_sent"), stage: "proposal_sent", reason: "advanced" },
  { name: "won from proposal", state: { stage: "proposal_sent" }, event: auto("won"), stage: "won", reason: "advanced" },
  { name: "lost from proposal", state: { stage: "proposal_sent" }, event: auto("lost"), stage: "lost", reason: "advanced" },
  { name: "lost from new", state: { stage: "new" }, event: auto("lost"), stage: "lost", reason: "advanced" },
];

const notForwardCases: MoveCase[] = [
  { name: "ack in conversation", state: { stage: "in_conversation" }, event: auto("acknowledgement_sent"), stage: "in_conversation", reason: "not_forward" },
  { name: "reply after proposal", state: { stage: "proposal_sent" }, event: auto("first_human_reply"), stage: "proposal_sent", reason: "not_forward" },
  { name: "second booking", state: { stage: "meeting_booked", stageBeforeMeeting: "new" }, event: auto("meeting_booked"), stage: "meeting_booked", reason: "not_forward" },
  { name: "booking after meeting", state: { stage: "meeting_held" }, event: auto("meeting_booked"), stage: "meeting_held", reason: "not_forward" },
  { name: "held after proposal", state: { stage: "proposal_sent" }, event: auto("meeting_held"), stage: "proposal_sent", reason: "not_forward" },
];

const closedCases: MoveCase[] = [
  { name: "won ignores lost", state: { stage: "won" }, event: auto("lost"), stage: "won", reason: "closed" },
  { name: "lost ignores won", state: { stage: "lost" }, event: auto("won"), stage: "lost", reason: "closed" },
  { name: "lost ignores booking", state: { stage: "lost" }, event: auto("meeting_booked"), stage: "lost", reason: "closed" },
  { name: "won ignores reply", state: { stage: "won" }, event: auto("first_human_reply"), stage: "won", reason: "closed" },
  { name: "lost ignores cancel", state: { stage: "lost" }, event: cancel(), stage: "lost", reason: "closed" },
];

const cancelCases: MoveCase[] = [
  {
    name: "cancel returns to conversation",
    state: { stage: "meeting_booked", stageBeforeMeeting: "in_conversation" },
    event: cancel(),
    stage: "in_conversation",
    reason: "returned_after_cancel",
  },
  {
    name: "cancel returns to new",
    state: { stage: "meeting_booked", stageBeforeMeeting: "new" },
    event: cancel(),
    stage: "new",
    reason: "returned_after_cancel",
  },
  {
    name: "cancel after meeting held",
    state: { stage: "meeting_held" },
    event: cancel(),
    stage: "meeting_held",
    reason: "not_meeting_booked",
  },
  {
    name: "cancel without prior stage",
    state: { stage: "meeting_booked" },
    event: cancel(),
    stage: "meeting_booked",
    reason: "no_prior_stage",
  },
  {
    name: "cancel with another meeting",
    state: { stage: "meeting_booked", stageBeforeMeeting: "in_conversation" },
    event: cancel(AT, true),
    stage: "meeting_booked",
    reason: "other_meeting_booked",
  },
];

const revivalCases: MoveCase[] = [
  { name: "lost revives", state: { stage: "lost" }, event: auto("revived"), stage: "in_conversation", reason: "revived" },
  { name: "won stays won", state: { stage: "won" }, event: auto("revived"), stage: "won", reason: "won_not_revived" },
  { name: "open deal ignores revival", state: { stage: "meeting_held" }, event: auto("revived"), stage: "meeting_held", reason: "not_closed" },
];

const overrideCases: MoveCase[] = [
  {
    name: "event before override",
    state: { stage: "in_conversation", override: { stage: "in_conversation", at: AT, by: "usr_anna" } },
    event: auto("meeting_held", EARLIER),
    stage: "in_conversation",
    reason: "before_override",
  },
  {
    name: "event at override time",
    state: { stage: "in_conversation", override: { stage: "in_conversation", at: AT, by: "usr_anna" } },
    event: auto("meeting_held", AT),
    stage: "in_conversation",
    reason: "before_override",
  },
  {
    name: "later event moves past override",
    state: { stage: "in_conversation", override: { stage: "in_conversation", at: AT, by: "usr_anna" } },
    event: auto("meeting_booked", LATER),
    stage: "meeting_booked",
    reason: "advanced",
  },
  {
    name: "forward move not past override",
    state: { stage: "new", override: { stage: "meeting_held", at: EARLIER, by: "usr_anna" } },
    event: auto("first_human_reply"),
    stage: "new",
    reason: "below_override",
  },
  {
    name: "cancel below override",
    state: {
      stage: "meeting_booked",
      stageBeforeMeeting: "acknowledged",
      override: { stage: "in_conversation", at: EARLIER, by: "usr_anna" },
    },
    event: cancel(),
    stage: "meeting_booked",
    reason: "below_override",
  },
  {
    name: "cancel returns to override stage",
    state: {
      stage: "meeting_booked",
      stageBeforeMeeting: "in_conversation",
      override: { stage: "in_conversation", at: EARLIER, by: "usr_anna" },
    },
    event: cancel(),
    stage: "in_conversation",
    reason: "returned_after_cancel",
  },
  {
    name: "manual lost can revive",
    state: { stage: "lost", override: { stage: "lost", at: EARLIER, by: "usr_anna" } },
    event: auto("revived"),
    stage: "in_conversation",
    reason: "revived",
  },
  {
    name: "manual won stays closed",
    state: { stage: "won", override: { stage: "won", at: EARLIER, by: "usr_anna" } },
    event: auto("lost"),
    stage: "won",
    reason: "closed",
  },
];

describe("nextStage", () => {
  describe.each([
    ["forward", forwardCases],
    ["not forward", notForwardCases],
    ["closed", closedCases],
    ["cancellation", cancelCases],
    ["revival", revivalCases],
    ["override", overrideCases],
  ])("%s rules", (_group, cases) => {
    it.each(cases)("$name", ({ state, event, stage, reason }) => {
      const decision = nextStage(state, event);
      expect(decision.stage).toBe(stage);
      expect(decision.reason).toBe(reason);
      expect(decision.state.stage).toBe(stage);
      expect(decision.changed).toBe(stage !== state.stage);
      expect(decision.receipt !== undefined).toBe(decision.changed);
    });
  });

  it("never moves backwards on its own", () => {
    const forwardEvents: ForwardStageEventType[] = [
      "acknowledgement_sent",
      "first_human_reply",
      "meeting_booked",
      "meeting_held",
      "proposal_sent",
      "won",
      "lost",
    ];
    for (const { key } of DEFAULT_STAGES) {
      for (const type of forwardEvents) {
        const decision = nextStage({ stage: key, stageBeforeMeeting: "new" }, auto(type));
        expect(stageIndex(decision.stage), `${key} + ${type}`).toBeGreaterThanOrEqual(stageIndex(key));
      }
    }
  });

  it("leaves closed deals alone", () => {
    const events: AutomaticStageEventType[] = ["acknowledgement_sent", "meeting_booked", "meeting_held", "won", "lost"];
    for (const stage of ["won", "lost"] as const) {
      for (const type of events) {
        const decision = nextStage({ stage }, { type, at: AT, source: "test" } as StageEvent);
        expect(decision.changed, `${stage} + ${type}`).toBe(false);
      }
    }
  });

  it("writes a receipt for an automatic move", () => {
    const decision = nextStage({ stage: "in_conversation" }, { type: "meeting_booked", at: AT, source: "calendly" });
    expect(decision.receipt).toEqual({
      from: "in_conversation",
      to: "meeting_booked",
      event: "meeting_booked",
      at: AT,
      source: "calendly",
    });
  });

  it("writes no receipt when nothing moves", () => {
    expect(nextStage({ stage: "proposal_sent" }, auto("first_human_reply")).receipt).toBeUndefined();
  });

  it("remembers the stage before a booking", () => {
    const decision = nextStage({ stage: "acknowledged" }, auto("meeting_booked"));
    expect(decision.state.stageBeforeMeeting).toBe("acknowledged");
  });

  it("held meeting forgets prior stage", () => {
    const booked = nextStage({ stage: "in_conversation" }, auto("meeting_booked")).state;
    const afterMeeting = nextStage(booked, auto("meeting_held", LATER)).state;
    expect(afterMeeting.stageBeforeMeeting).toBeUndefined();
  });

  it("book then cancel returns", () => {
    const booked = nextStage({ stage: "in_conversation" }, auto("meeting_booked")).state;
    const cancelled = nextStage(booked, cancel(LATER));
    expect(cancelled.stage).toBe("in_conversation");
    expect(cancelled.state.stageBeforeMeeting).toBeUndefined();
    expect(cancelled.receipt?.event).toBe("meeting_cancelled");
  });

  it("second booking keeps prior stage", () => {
    const booked = nextStage({ stage: "new" }, auto("meeting_booked")).state;
    const rebooked = nextStage(booked, auto("meeting_booked", LATER)).state;
    expect(rebooked.stageBeforeMeeting).toBe("new");
  });

  it("applies a manual override", () => {
    const decision = nextStage({ stage: "new" }, manual("proposal_sent"));
    expect(decision.stage).toBe("proposal_sent");
    expect(decision.reason).toBe("overridden");
    expect(decision.state.override).toEqual({ stage: "proposal_sent", at: AT, by: "usr_anna" });
    expect(decision.receipt).toEqual({
      from: "new",
      to: "proposal_sent",
      event: "manual_override",
      at: AT,
      source: "dashboard",
      by: "usr_anna",
    });
  });

  it("lets a person move a deal backwards", () => {
    expect(nextStage({ stage: "meeting_held" }, manual("in_conversation")).stage).toBe("in_conversation");
  });

  it("lets a person reopen a won deal", () => {
    expect(nextStage({ stage: "won" }, manual("proposal_sent")).stage).toBe("proposal_sent");
  });

  it("records an override to the same stage", () => {
    const decision = nextStage({ stage: "in_conversation" }, manual("in_conversation"));
    expect(decision.changed).toBe(false);
    expect(decision.receipt).toBeUndefined();
    expect(decision.state.override?.stage).toBe("in_conversation");
  });

  it("drops the pre-booking stage on override", () => {
    const decision = nextStage({ stage: "meeting_booked", stageBeforeMeeting: "new" }, manual("meeting_booked"));
    expect(decision.state.stageBeforeMeeting).toBeUndefined();
  });

  it("cancel keeps manual booking", () => {
    const overridden = nextStage({ stage: "in_conversation", stageBeforeMeeting: "new" }, manual("meeting_booked")).state;
    expect(nextStage(overridden, cancel(LATER)).reason).toBe("no_prior_stage");
  });

  it("late webhook after correction ignored", () => {
    const corrected = nextStage({ stage: "meeting_held" }, manual("in_conversation", LATER)).state;
    const late = nextStage(corrected, auto("meeting_held", AT));
    expect(late.stage).toBe("in_conversation");
    expect(late.reason).toBe("before_override");
  });

  it("keeps the override after a later move", () => {
    const overridden = nextStage({ stage: "new" }, manual("in_conversation")).state;
    const moved = nextStage(overridden, auto("meeting_booked", LATER));
    expect(moved.state.override?.stage).toBe("in_conversation");
  });

  it("clears the override on revival", () => {
    const closed = nextStage({ stage: "proposal_sent" }, manual("lost")).state;
    const revived = nextStage(closed, auto("revived", LATER));
    expect(revived.stage).toBe("in_conversation");
    expect(revived.state.override).toBeUndefined();
  });

  it("ignores a revival dated before the override", () => {
    const closed = nextStage({ stage: "proposal_sent" }, manual("lost", LATER)).state;
    expect(nextStage(closed, auto("revived", AT)).reason).toBe("before_override");
  });
});

describe("stage helpers", () => {
  it("orders stages as DEFAULT_STAGES", () => {
    expect(stageIndex("new")).toBeLessThan(stageIndex("meeting_booked"));
    expect(stageIndex("meeting_booked")).toBeLessThan(stageIndex("won"));
  });

  it.each(["won", "lost"] as const)("treats %s as closed", (stage) => {
    expect(isOpenStage(stage)).toBe(false);
  });

  it.each(["new", "proposal_sent"] as const)("treats %s as open", (stage) => {
    expect(isOpenStage(stage)).toBe(true);
  });
});

const NOW = new Date("2025-03-20T12:00:00Z");

function daysAgo(days: number): Date {
  return new Date(NOW.getTime() - days * DAY);
}

function daysAhead(days: number): Date {
  return new Date(NOW.getTime() + days * DAY);
}

function stall(overrides: Partial<StallInput> & { stage: OpenStageKey }): ReturnType<typeof stallState> {
  return stallState({
    enteredStageAt: daysAgo(1),
    lastActivityAt: daysAgo(1),
    lastProspectActivityAt: daysAgo(1),
    hasFutureMeeting: false,
    now: NOW,
    ...overrides,
  });
}

const OPEN_STAGES = Object.keys(DEFAULT_STALL_DAYS) as OpenStageKey[];
const AWAITING_FIRM: OpenStageKey[] = ["new", "acknowledged"];

describe("stallState", () => {
  it.each(OPEN_STAGES)("%s is active inside its period", (stage) => {
    const days = DEFAULT_STALL_DAYS[stage];
    const entered = new Date(NOW.getTime() - days * DAY + HOUR);
    const result = stall({ stage, enteredStageAt: entered, lastActivityAt: entered, meetingAt: entered });
    expect(result.status).toBe("active");
    expect(result.reason).toBe("on_track");
    expect(result.dueAt.getTime()).toBe(entered.getTime() + days * DAY);
  });

  it.each(OPEN_STAGES)("%s stalls at the end of its period", (stage) => {
    const entered = daysAgo(DEFAULT_STALL_DAYS[stage]);
    const result = stall({ stage, enteredStageAt: entered, lastActivityAt: entered, meetingAt: entered });
    expect(result.status).toBe("stalled");
    expect(result.reason).toBe("stage_overdue");
  });

  it.each(AWAITING_FIRM)("%s repeats the stall reminder", (stage) => {
    const result = stall({ stage, enteredStageAt: daysAgo(30), lastProspectActivityAt: daysAgo(30) });
    expect(result.dueAt.getTime()).toBe(daysAhead(DEFAULT_STALL_DAYS[stage]).getTime());
  });

  it("stalled deal due at close", () => {
    const result = stall({ stage: "in_conversation", enteredStageAt: daysAgo(20), lastActivityAt: daysAgo(20), lastProspectActivityAt: daysAgo(20) });
    expect(result.status).toBe("stalled");
    expect(result.dueAt.getTime()).toBe(daysAgo(20 - DEFAULT_CLOSE_AS_LOST_DAYS).getTime());
  });

  it("prospect chaser does not reset new", () => {
    const result = stall({ stage: "new", enteredStageAt: daysAgo(3), lastActivityAt: daysAgo(0.1), lastProspectActivityAt: daysAgo(0.1) });
    expect(result.status).toBe("stalled");
  });

  it("activity resets the conversation clock", () => {
    const result = stall({ stage: "in_conversation", enteredStageAt: daysAgo(20), lastActivityAt: daysAgo(2) });
    expect(result.status).toBe("active");
    expect(result.dueAt.getTime()).toBe(daysAhead(8).getTime());
  });

  it("meeting_booked counts from the meeting", () => {
    const result = stall({ stage: "meeting_booked", enteredStageAt: daysAgo(30), lastActivityAt: daysAgo(30), meetingAt: daysAgo(5) });
    expect(result.status).toBe("active");
    expect(result.dueAt.getTime()).toBe(daysAhead(9).getTime());
  });

  it("meeting_booked stalls after the meeting", () => {
    const result = stall({ stage: "meeting_booked", enteredStageAt: daysAgo(30), lastActivityAt: daysAgo(30), meetingAt: daysAgo(15) });
    expect(result.status).toBe("stalled");
  });

  it("meeting_booked without a date counts from entry", () => {
    const result = stall({ stage: "meeting_booked", enteredStageAt: daysAgo(15), lastActivityAt: daysAgo(15) });
    expect(result.status).toBe("stalled");
  });

  it("future meeting suppresses stalling", () => {
    const result = stall({
      stage: "proposal_sent",
      enteredStageAt: daysAgo(60),
      lastActivityAt: daysAgo(60),
      lastProspectActivityAt: daysAgo(60),
      hasFutureMeeting: true,
      meetingAt: daysAhead(2),
    });
    expect(result.status).toBe("active");
    expect(result.reason).toBe("future_meeting");
    expect(result.dueAt.getTime()).toBe(daysAhead(2).getTime());
  });

  it("undated future meeting rechecks daily", () => {
    const result = stall({ stage: "in_conversation", enteredStageAt: daysAgo(60), hasFutureMeeting: true });
    expect(result.dueAt.getTime()).toBe(daysAhead(1).getTime());
  });

  it("silence closes as lost", () => {
    const result = stall({
      stage: "proposal_sent",
      enteredStageAt: daysAgo(50),
      lastActivityAt: daysAgo(50),
      lastProspectActivityAt: daysAgo(DEFAULT_CLOSE_AS_LOST_DAYS),
    });
    expect(result.status).toBe("close_as_lost");
    expect(result.reason).toBe("silent_too_long");
    expect(result.dueAt.getTime()).toBe(NOW.getTime());
  });

  it("firm chasers do not stop closing", () => {
    const result = stall({ stage: "proposal_sent", enteredStageAt: daysAgo(50), lastActivityAt: daysAgo(1), lastProspectActivityAt: daysAgo(46) });
    expect(result.status).toBe("close_as_lost");
  });

  it("one day short of closing is stalled", () => {
    const result = stall({ stage: "proposal_sent", enteredStageAt: daysAgo(44), lastActivityAt: daysAgo(44), lastProspectActivityAt: daysAgo(44) });
    expect(result.status).toBe("stalled");
    expect(result.dueAt.getTime()).toBe(daysAhead(1).getTime());
  });

  it.each(AWAITING_FIRM)("%s never closes for silence", (stage) => {
    const result = stall({ stage, enteredStageAt: daysAgo(100), lastActivityAt: daysAgo(100), lastProspectActivityAt: daysAgo(100) });
    expect(result.status).toBe("stalled");
  });

  it("due at the earlier of stall and close", () => {
    const result = stall({ stage: "proposal_sent", enteredStageAt: daysAgo(41), lastActivityAt: daysAgo(1), lastProspectActivityAt: daysAgo(40) });
    expect(result.status).toBe("active");
    expect(result.dueAt.getTime()).toBe(daysAhead(5).getTime());
  });

  it("applies custom stage days", () => {
    const result = stall({ stage: "in_conversation", enteredStageAt: daysAgo(3), lastActivityAt: daysAgo(3), stallDays: { in_conversation: 3 } });
    expect(result.status).toBe("stalled");
  });

  it("applies custom close days", () => {
    const result = stall({ stage: "meeting_held", enteredStageAt: daysAgo(21), lastActivityAt: daysAgo(21), lastProspectActivityAt: daysAgo(21), closeAsLostDays: 20 });
    expect(result.status).toBe("close_as_lost");
  });
});

describe("describeStall", () => {
  it("counts quiet days from the stall clock", () => {
    const verdict = stall({ stage: "meeting_held", enteredStageAt: daysAgo(30), lastActivityAt: daysAgo(16.2), meetingAt: daysAgo(0.3) });
    expect(verdict.status).toBe("stalled");
    expect(describeStall("meeting_held", verdict, NOW)).toBe("16 days without activity in Meeting held (limit 7 days)");
  });

  it("never counts fewer days than the limit", () => {
    for (const stage of OPEN_STAGES) {
      const verdict = stall({ stage, enteredStageAt: daysAgo(60), lastActivityAt: daysAgo(20), meetingAt: daysAgo(25), lastProspectActivityAt: daysAgo(20) });
      expect(verdict.status, stage).toBe("stalled");
      const quietDays = Number(describeStall(stage, verdict, NOW).split(" ")[0]);
      expect(quietDays, stage).toBeGreaterThanOrEqual(verdict.stallDays);
    }
  });

  it("firm's own limit is named", () => {
    const verdict = stall({ stage: "proposal_sent", enteredStageAt: daysAgo(12.5), lastActivityAt: daysAgo(12.5), stallDays: { proposal_sent: 10 } });
    expect(describeStall("proposal_sent", verdict, NOW)).toBe("12 days without activity in Proposal sent (limit 10 days)");
  });

  it("stage awaiting the firm names the missing reply", () => {
    const verdict = stall({ stage: "new", enteredStageAt: daysAgo(2), lastActivityAt: daysAgo(0.5), stallDays: { new: 1 } });
    expect(describeStall("new", verdict, NOW)).toBe("2 days in New without a reply from the firm (limit 1 day)");
  });

  it("meeting booked counts from the meeting", () => {
    const verdict = stall({ stage: "meeting_booked", enteredStageAt: daysAgo(40), lastActivityAt: daysAgo(40), meetingAt: daysAgo(15), lastProspectActivityAt: daysAgo(15) });
    expect(describeStall("meeting_booked", verdict, NOW)).toBe("15 days since the meeting without activity in Meeting booked (limit 14 days)");
  });
});
