import { describe, expect, it } from "vitest";
import {
  addWorkingMinutes,
  createWorkingCalendar,
  formatForFirm,
  isWithinWorkingHours,
  nextWorkingStart,
  parseClosedDate,
  workingMinutesBetween,
  WorkingTimeError,
  zonedParts,
  zonedTimeToInstant,
  type Disambiguation,
  type WorkingCalendar,
  type WorkingDay,
} from "../../packages/core/src/working-time";

// Expected instants are written in UTC with the local reading in the comment or case name.
// Europe/London is GMT (UTC+0) from late October to late March and BST (UTC+1) otherwise.

function weekdays(start: string, end: string, days: number[] = [1, 2, 3, 4, 5]): WorkingDay[] {
  return days.map((day) => ({ day, start, end }));
}

const at = (iso: string) => new Date(iso);

/** Mon–Fri 09:00–17:30 (510 minutes a day), closed on Christmas Day and the Boxing Day substitute in 2026. */
const LONDON_OFFICE = createWorkingCalendar({
  timeZone: "Europe/London",
  workingHours: weekdays("09:00", "17:30"),
  closedDates: ["2026-12-25", "2026-12-28"],
});

/** LONDON_OFFICE hours plus Saturday 09:00–12:00. */
const SATURDAY_MORNINGS = createWorkingCalendar({
  timeZone: "Europe/London",
  workingHours: [...weekdays("09:00", "17:30"), { day: 6, start: "09:00", end: "12:00" }],
});

interface AddCase {
  name: string;
  calendar: WorkingCalendar;
  start: string;
  minutes: number;
  due: string;
}

const londonCases: AddCase[] = [
  // 2026-12-07 is a Monday, and December is GMT, so UTC equals London time.
  { name: "within one day", calendar: LONDON_OFFICE, start: "2026-12-07T10:00:00Z", minutes: 120, due: "2026-12-07T12:00:00Z" },
  { name: "ends exactly at closing", calendar: LONDON_OFFICE, start: "2026-12-07T15:30:00Z", minutes: 120, due: "2026-12-07T17:30:00Z" },
  // 60 minutes before 17:30 Monday, 60 from 09:00 Tuesday.
  { name: "across end of day", calendar: LONDON_OFFICE, start: "2026-12-07T16:30:00Z", minutes: 120, due: "2026-12-08T10:00:00Z" },
  // Friday 16:30 + 120: 60 on Friday, weekend closed, 60 from Monday 09:00.
  { name: "across weekend", calendar: LONDON_OFFICE, start: "2026-12-04T16:30:00Z", minutes: 120, due: "2026-12-07T10:00:00Z" },
  { name: "before opening", calendar: LONDON_OFFICE, start: "2026-12-07T07:15:00Z", minutes: 120, due: "2026-12-07T11:00:00Z" },
  { name: "after closing", calendar: LONDON_OFFICE, start: "2026-12-07T19:00:00Z", minutes: 120, due: "2026-12-08T11:00:00Z" },
  { name: "on Sunday", calendar: LONDON_OFFICE, start: "2026-12-06T14:00:00Z", minutes: 120, due: "2026-12-07T11:00:00Z" },
  { name: "one full day", calendar: LONDON_OFFICE, start: "2026-12-07T09:00:00Z", minutes: 510, due: "2026-12-07T17:30:00Z" },
  { name: "one minute at closing", calendar: LONDON_OFFICE, start: "2026-12-07T17:30:00Z", minutes: 1, due: "2026-12-08T09:01:00Z" },
  // 1200 = 510 Monday + 510 Tuesday + 180 from Wednesday 09:00.
  { name: "several days", calendar: LONDON_OFFICE, start: "2026-12-07T09:00:00Z", minutes: 1200, due: "2026-12-09T12:00:00Z" },
  // Thursday 24 Dec 16:30: 60 that day, then Fri 25 closed, weekend, Mon 28 closed, 60 from Tue 29 09:00.
  { name: "over bank holidays", calendar: LONDON_OFFICE, start: "2026-12-24T16:30:00Z", minutes: 120, due: "2026-12-29T10:00:00Z" },
  { name: "on a bank holiday", calendar: LONDON_OFFICE, start: "2026-12-25T11:00:00Z", minutes: 30, due: "2026-12-29T09:30:00Z" },
  // Seconds carry through: 09:00:30 + 1 minute.
  { name: "keeps seconds", calendar: LONDON_OFFICE, start: "2026-12-07T09:00:30Z", minutes: 1, due: "2026-12-07T09:01:30Z" },
  // Friday 16:30 + 120: 60 on Friday, 60 from Saturday 09:00.
  { name: "Saturday hours Friday start", calendar: SATURDAY_MORNINGS, start: "2026-12-04T16:30:00Z", minutes: 120, due: "2026-12-05T10:00:00Z" },
  // Saturday 11:00 + 120: 60 until 12:00, Sunday closed, 60 from Monday 09:00.
  { name: "Saturday hours Saturday start", calendar: SATURDAY_MORNINGS, start: "2026-12-05T11:00:00Z", minutes: 120, due: "2026-12-07T10:00:00Z" },
  { name: "Saturday afternoon", calendar: SATURDAY_MORNINGS, start: "2026-12-05T13:00:00Z", minutes: 60, due: "2026-12-07T10:00:00Z" },
];

const zeroCases: AddCase[] = [
  { name: "inside hours", calendar: LONDON_OFFICE, start: "2026-12-07T11:17:00Z", minutes: 0, due: "2026-12-07T11:17:00Z" },
  { name: "at opening", calendar: LONDON_OFFICE, start: "2026-12-07T09:00:00Z", minutes: 0, due: "2026-12-07T09:00:00Z" },
  { name: "at closing", calendar: LONDON_OFFICE, start: "2026-12-07T17:30:00Z", minutes: 0, due: "2026-12-08T09:00:00Z" },
  { name: "just before opening", calendar: LONDON_OFFICE, start: "2026-12-07T08:59:30Z", minutes: 0, due: "2026-12-07T09:00:00Z" },
  { name: "on Saturday", calendar: LONDON_OFFICE, start: "2026-12-05T10:00:00Z", minutes: 0, due: "2026-12-07T09:00:00Z" },
];

describe("addWorkingMinutes in London", () => {
  it.each(londonCases)("$name", ({ calendar, start, minutes, due }) => {
    expect(addWorkingMinutes(at(start), minutes, calendar).toISOString()).toBe(at(due).toISOString());
  });
});

describe("addWorkingMinutes with zero minutes", () => {
  it.each(zeroCases)("$name", ({ calendar, start, minutes, due }) => {
    expect(addWorkingMinutes(at(start), minutes, calendar).toISOString()).toBe(at(due).toISOString());
  });
});

describe("addWorkingMinutes across Europe/London DST", () => {
  // Clocks go forward on Sunday 2027-03-28 at 01:00 GMT and back on Sunday 2026-10-25 at 02:00 BST.
  it("spring forward over weekend", () => {
    // Friday 16:30 GMT + 120: 60 on Friday, then Monday 09:00 BST (08:00Z) + 60 = 10:00 BST.
    const due = addWorkingMinutes(at("2027-03-26T16:30:00Z"), 120, LONDON_OFFICE);
    expect(due.toISOString()).toBe("2027-03-29T09:00:00.000Z");
  });

  it("autumn fall-back over weekend", () => {
    // Friday 16:30 BST (15:30Z) + 120: 60 on Friday, then Monday 09:00 GMT + 60 = 10:00 GMT (10:00Z).
    const due = addWorkingMinutes(at("2026-10-23T15:30:00Z"), 120, LONDON_OFFICE);
    expect(due.toISOString()).toBe("2026-10-26T10:00:00.000Z");
  });

  it("first 01:30 on fall-back night", () => {
    // 00:30Z reads 01:30 BST. Sunday is closed, so 120 minutes run from Monday 09:00 GMT.
    const due = addWorkingMinutes(at("2026-10-25T00:30:00Z"), 120, LONDON_OFFICE);
    expect(due.toISOString()).toBe("2026-10-26T11:00:00.000Z");
  });

  it("second 01:30 on fall-back night", () => {
    // 01:30Z reads 01:30 GMT, the repeated hour.
    const due = addWorkingMinutes(at("2026-10-25T01:30:00Z"), 120, LONDON_OFFICE);
    expect(due.toISOString()).toBe("2026-10-26T11:00:00.000Z");
  });
});

/** Sunday 00:00–08:00, so the working period spans the London clock changes. */
const SUNDAY_NIGHT_DESK = createWorkingCalendar({
  timeZone: "Europe/London",
  workingHours: [{ day: 7, start: "00:00", end: "08:00" }],
});

/** Sunday 01:30–03:00, so the opening time falls inside the skipped or repeated hour. */
const SUNDAY_SMALL_HOURS = createWorkingCalendar({
  timeZone: "Europe/London",
  workingHours: [{ day: 7, start: "01:30", end: "03:00" }],
});

describe("working day spanning London DST", () => {
  it("ordinary Sunday is 480 minutes", () => {
    expect(workingMinutesBetween(at("2026-10-31T12:00:00Z"), at("2026-11-02T12:00:00Z"), SUNDAY_NIGHT_DESK)).toBe(480);
  });

  it("fall-back Sunday is 540 minutes", () => {
    // 00:00 BST (23:00Z Saturday) to 08:00 GMT: the repeated hour adds 60 real minutes.
    expect(workingMinutesBetween(at("2026-10-24T12:00:00Z"), at("2026-10-26T12:00:00Z"), SUNDAY_NIGHT_DESK)).toBe(540);
  });

  it("spring-forward Sunday is 420 minutes", () => {
    // 00:00 GMT to 08:00 BST (07:00Z): the skipped hour adds nothing.
    expect(workingMinutesBetween(at("2027-03-27T12:00:00Z"), at("2027-03-29T12:00:00Z"), SUNDAY_NIGHT_DESK)).toBe(420);
  });

  it("due time counts the repeated hour", () => {
    // From 00:00 BST, 480 real minutes end at 07:00Z, which reads 07:00 GMT, not 08:00.
    expect(addWorkingMinutes(at("2026-10-24T23:00:00Z"), 480, SUNDAY_NIGHT_DESK).toISOString()).toBe("2026-10-25T07:00:00.000Z");
  });

  it("due time skips the missing hour", () => {
    // From 00:00 GMT, 420 real minutes end at 07:00Z, which reads 08:00 BST: closing time.
    expect(addWorkingMinutes(at("2027-03-28T00:00:00Z"), 420, SUNDAY_NIGHT_DESK).toISOString()).toBe("2027-03-28T07:00:00.000Z");
  });

  it("opening in the gap moves to the change", () => {
    // 01:30 does not exist on 2027-03-28, so the desk opens when clocks jump to 02:00 BST (01:00Z).
    expect(nextWorkingStart(at("2027-03-27T12:00:00Z"), SUNDAY_SMALL_HOURS).toISOString()).toBe("2027-03-28T01:00:00.000Z");
  });

  it("gap day is 60 minutes", () => {
    // 02:00 BST to 03:00 BST, where an ordinary Sunday has 90.
    expect(workingMinutesBetween(at("2027-03-27T12:00:00Z"), at("2027-03-29T12:00:00Z"), SUNDAY_SMALL_HOURS)).toBe(60);
  });

  it("opening in the repeated hour takes the first", () => {
    // The first 01:30 is 01:30 BST (00:30Z).
    expect(nextWorkingStart(at("2026-10-24T12:00:00Z"), SUNDAY_SMALL_HOURS).toISOString()).toBe("2026-10-25T00:30:00.000Z");
  });

  it("repeated-hour day is 150 minutes", () => {
    // 01:30 BST (00:30Z) to 03:00 GMT (03:00Z).
    expect(workingMinutesBetween(at("2026-10-24T12:00:00Z"), at("2026-10-26T12:00:00Z"), SUNDAY_SMALL_HOURS)).toBe(150);
  });

  it("second 01:30 is inside hours", () => {
    expect(isWithinWorkingHours(at("2026-10-25T01:30:00Z"), SUNDAY_SMALL_HOURS)).toBe(true);
  });
});

const NEW_YORK_OFFICE = createWorkingCalendar({ timeZone: "America/New_York", workingHours: weekdays("09:00", "17:00") });
const KOLKATA_OFFICE = createWorkingCalendar({ timeZone: "Asia/Kolkata", workingHours: weekdays("09:30", "18:30") });
const SYDNEY_OFFICE = createWorkingCalendar({ timeZone: "Australia/Sydney", workingHours: weekdays("09:00", "17:00") });
const ADELAIDE_OFFICE = createWorkingCalendar({ timeZone: "Australia/Adelaide", workingHours: weekdays("09:00", "17:00") });

const otherZoneCases: AddCase[] = [
  // New York falls back on 2026-11-01, a week after London: Fri 16:00 EDT (20:00Z) + 120 ends Mon 10:00 EST (15:00Z).
  { name: "New York fall-back", calendar: NEW_YORK_OFFICE, start: "2026-10-30T20:00:00Z", minutes: 120, due: "2026-11-02T15:00:00Z" },
  // New York springs forward on 2027-03-14: Fri 16:00 EST (21:00Z) + 120 ends Mon 10:00 EDT (14:00Z).
  { name: "New York spring forward", calendar: NEW_YORK_OFFICE, start: "2027-03-12T21:00:00Z", minutes: 120, due: "2027-03-15T14:00:00Z" },
  // On Monday 2026-10-26 London is on GMT but New York is still on EDT, so it opens at 13:00Z.
  { name: "New York in the odd week", calendar: NEW_YORK_OFFICE, start: "2026-10-26T12:00:00Z", minutes: 0, due: "2026-10-26T13:00:00Z" },
  // Kolkata is UTC+05:30 all year: Mon 17:30 IST (12:00Z) + 120 is 60 on Monday and Tue 10:30 IST (05:00Z).
  { name: "Kolkata half-hour offset", calendar: KOLKATA_OFFICE, start: "2026-12-07T12:00:00Z", minutes: 120, due: "2026-12-08T05:00:00Z" },
  // Sydney springs forward on 2026-10-04: Fri 16:00 AEST (06:00Z) + 120 ends Mon 10:00 AEDT (UTC+11).
  { name: "Sydney spring forward", calendar: SYDNEY_OFFICE, start: "2026-10-02T06:00:00Z", minutes: 120, due: "2026-10-04T23:00:00Z" },
  // Sydney falls back on 2026-04-05: Fri 16:00 AEDT (05:00Z) + 120 ends Mon 10:00 AEST (UTC+10).
  { name: "Sydney fall-back", calendar: SYDNEY_OFFICE, start: "2026-04-03T05:00:00Z", minutes: 120, due: "2026-04-06T00:00:00Z" },
  // Adelaide moves from UTC+09:30 to +10:30 on 2026-10-04: Fri 16:30 ACST (07:00Z) + 60 ends Mon 09:30 ACDT.
  { name: "Adelaide spring forward", calendar: ADELAIDE_OFFICE, start: "2026-10-02T07:00:00Z", minutes: 60, due: "2026-10-04T23:00:00Z" },
];

describe("addWorkingMinutes in other time zones", () => {
  it.each(otherZoneCases)("$name", ({ calendar, start, minutes, due }) => {
    expect(addWorkingMinutes(at(start), minutes, calendar).toISOString()).toBe(at(due).toISOString());
  });
});

/**
 * America/Santiago changes clocks at midnight (tzdata in workerd's ICU): on Sunday 2026-09-06
 * 00:00 (-04) jumps to 01:00 (-03) at 04:00Z, and on 2026-04-05 00:00 (-03) goes back to
 * Saturday 23:00 (-04) at 03:00Z.
 */
const SANTIAGO_WEEKEND_DESK = createWorkingCalendar({
  timeZone: "America/Santiago",
  workingHours: [
    { day: 6, start: "20:00", end: "24:00" },
    { day: 7, start: "00:00", end: "12:00" },
  ],
});

describe("Santiago midnight DST", () => {
  it("missing midnight opens at 01:00", () => {
    // Sunday-only hours, so the opening is not hidden by Saturday's hours running up to it.
    const sundayOnly = createWorkingCalendar({ timeZone: "America/Santiago", workingHours: [{ day: 7, start: "00:00", end: "12:00" }] });
    expect(nextWorkingStart(at("2026-09-05T16:00:00Z"), sundayOnly).toISOString()).toBe("2026-09-06T04:00:00.000Z");
  });

  it("Saturday before the gap is 240 minutes", () => {
    // 20:00 -04 (00:00Z) until the jump at 04:00Z.
    expect(workingMinutesBetween(at("2026-09-05T12:00:00Z"), at("2026-09-06T04:00:00Z"), SANTIAGO_WEEKEND_DESK)).toBe(240);
  });

  it("Sunday after the gap is 660 minutes", () => {
    // 01:00 -03 (04:00Z) to 12:00 -03 (15:00Z).
    expect(workingMinutesBetween(at("2026-09-06T04:00:00Z"), at("2026-09-07T12:00:00Z"), SANTIAGO_WEEKEND_DESK)).toBe(660);
  });

  it("due time crosses the gap", () => {
    // Saturday 23:30 -04 (03:30Z) + 60: 30 before the jump at 04:00Z, then 30 more.
    expect(addWorkingMinutes(at("2026-09-06T03:30:00Z"), 60, SANTIAGO_WEEKEND_DESK).toISOString()).toBe("2026-09-06T04:30:00.000Z");
  });

  it("Saturday with repeated hour is 300 minutes", () => {
    // 20:00 -03 (23:00Z) until the wall clock first reads Sunday 00:00 -04 (04:00Z).
    expect(workingMinutesBetween(at("2026-04-04T12:00:00Z"), at("2026-04-05T04:00:00Z"), SANTIAGO_WEEKEND_DESK)).toBe(300);
  });

  it("Sunday after fall-back is 720 minutes", () => {
    // 00:00 -04 (04:00Z) to 12:00 -04 (16:00Z).
    expect(workingMinutesBetween(at("2026-04-05T04:00:00Z"), at("2026-04-06T12:00:00Z"), SANTIAGO_WEEKEND_DESK)).toBe(720);
  });

  it("repeated 23:30 is inside hours", () => {
    // 03:30Z reads Saturday 23:30 -04, the second 23:30 that night.
    expect(isWithinWorkingHours(at("2026-04-05T03:30:00Z"), SANTIAGO_WEEKEND_DESK)).toBe(true);
  });
});

describe("working hours edge shapes", () => {
  it("two entries for one day", () => {
    // Monday 09:00–12:00 and 13:00–17:00: 11:30 + 60 is 30 before lunch and 30 after.
    const calendar = createWorkingCalendar({
      timeZone: "Europe/London",
      workingHours: [
        { day: 1, start: "13:00", end: "17:00" },
        { day: 1, start: "09:00", end: "12:00" },
      ],
    });
    expect(addWorkingMinutes(at("2026-12-07T11:30:00Z"), 60, calendar).toISOString()).toBe("2026-12-07T13:30:00.000Z");
  });

  it("overlapping entries merge", () => {
    // 09:00–12:00 and 11:00–13:00 count once as 09:00–13:00.
    const calendar = createWorkingCalendar({
      timeZone: "Europe/London",
      workingHours: [
        { day: 1, start: "09:00", end: "12:00" },
        { day: 1, start: "11:00", end: "13:00" },
      ],
    });
    expect(workingMinutesBetween(at("2026-12-07T00:00:00Z"), at("2026-12-08T00:00:00Z"), calendar)).toBe(240);
  });

  it("24:00 end runs into next day", () => {
    // Friday 20:00–24:00 then Saturday 00:00–02:00: Friday 23:00 + 120 ends Saturday 01:00.
    const calendar = createWorkingCalendar({
      timeZone: "Europe/London",
      workingHours: [
        { day: 5, start: "20:00", end: "24:00" },
        { day: 6, start: "00:00", end: "02:00" },
      ],
    });
    expect(addWorkingMinutes(at("2026-12-04T23:00:00Z"), 120, calendar).toISOString()).toBe("2026-12-05T01:00:00.000Z");
  });

  it("huge target of 10,000 minutes", () => {
    // 10,000 = 19 full days of 510 (9,690) + 310, so 14:10 on the 20th working day from
    // Monday 2 November 2026, which is Friday 27 November (no closed dates in November).
    const due = addWorkingMinutes(at("2026-11-02T09:00:00Z"), 10_000, LONDON_OFFICE);
    expect(due.toISOString()).toBe("2026-11-27T14:10:00.000Z");
  });

  it("batch of 2,000 due dates", () => {
    // workerd freezes the clock during synchronous code, so this cannot time the batch, and
    // only checks that a cron-sized run completes with every due time after its start.
    // Outside workerd one 120-minute search took about 22 µs (Node 22, one AMD EPYC core).
    let dueBeforeStart = 0;
    for (let index = 0; index < 2_000; index++) {
      const start = new Date(Date.UTC(2026, 0, 1) + index * 3_600_000);
      if (addWorkingMinutes(start, 120, LONDON_OFFICE) <= start) dueBeforeStart++;
    }
    expect(dueBeforeStart).toBe(0);
  });
});

describe("isWithinWorkingHours", () => {
  const cases: Array<{ name: string; at: string; within: boolean }> = [
    { name: "at opening", at: "2026-12-07T09:00:00Z", within: true },
    { name: "last second before closing", at: "2026-12-07T17:29:59Z", within: true },
    { name: "at closing", at: "2026-12-07T17:30:00Z", within: false },
    { name: "before opening", at: "2026-12-07T08:59:00Z", within: false },
    { name: "on Saturday", at: "2026-12-05T11:00:00Z", within: false },
    { name: "on a bank holiday", at: "2026-12-25T11:00:00Z", within: false },
    // 08:30Z is 09:30 BST in summer.
    { name: "summer morning", at: "2026-07-01T08:30:00Z", within: true },
    // 16:45Z is 17:45 BST, after closing.
    { name: "summer evening", at: "2026-07-01T16:45:00Z", within: false },
  ];

  it.each(cases)("$name", ({ at: instant, within }) => {
    expect(isWithinWorkingHours(at(instant), LONDON_OFFICE)).toBe(within);
  });
});

describe("workingMinutesBetween", () => {
  const cases: Array<{ name: string; from: string; to: string; minutes: number }> = [
    { name: "evening to morning", from: "2026-12-07T17:00:00Z", to: "2026-12-08T09:30:00Z", minutes: 60 },
    // 60 on Friday and 90 on Monday.
    { name: "Friday to Monday", from: "2026-12-04T16:30:00Z", to: "2026-12-07T10:30:00Z", minutes: 150 },
    // Thursday 24 Dec full day (510), then closed until Tuesday 29 Dec 09:00.
    { name: "over Christmas", from: "2026-12-24T09:00:00Z", to: "2026-12-29T09:00:00Z", minutes: 510 },
    { name: "whole week", from: "2026-12-07T00:00:00Z", to: "2026-12-14T00:00:00Z", minutes: 2_550 },
    { name: "outside hours only", from: "2026-12-07T18:00:00Z", to: "2026-12-08T08:00:00Z", minutes: 0 },
    { name: "half a minute", from: "2026-12-07T10:00:00Z", to: "2026-12-07T10:00:30Z", minutes: 0.5 },
    { name: "to before from", from: "2026-12-08T10:00:00Z", to: "2026-12-07T10:00:00Z", minutes: 0 },
  ];

  it.each(cases)("$name", ({ from, to, minutes }) => {
    expect(workingMinutesBetween(at(from), at(to), LONDON_OFFICE)).toBe(minutes);
  });
});

describe("workingMinutesBetween inverts addWorkingMinutes", () => {
  const cases: Array<{ calendar: WorkingCalendar; zone: string; start: string; minutes: number }> = [
    { calendar: LONDON_OFFICE, zone: "London", start: "2026-12-07T10:00:00Z", minutes: 45 },
    { calendar: LONDON_OFFICE, zone: "London", start: "2026-12-04T16:30:00Z", minutes: 120 },
    { calendar: LONDON_OFFICE, zone: "London", start: "2026-12-24T16:30:00Z", minutes: 120 },
    { calendar: LONDON_OFFICE, zone: "London", start: "2026-12-06T14:00:00Z", minutes: 0 },
    { calendar: LONDON_OFFICE, zone: "London", start: "2027-03-26T12:00:00Z", minutes: 1_000 },
    { calendar: LONDON_OFFICE, zone: "London", start: "2026-10-23T12:00:00Z", minutes: 1_000 },
    { calendar: SUNDAY_NIGHT_DESK, zone: "London", start: "2026-10-24T20:00:00Z", minutes: 500 },
    { calendar: SATURDAY_MORNINGS, zone: "London", start: "2026-12-05T11:59:00Z", minutes: 7 },
    { calendar: NEW_YORK_OFFICE, zone: "New York", start: "2026-10-30T20:00:00Z", minutes: 2_000 },
    { calendar: KOLKATA_OFFICE, zone: "Kolkata", start: "2026-12-07T12:00:00Z", minutes: 333 },
    { calendar: SYDNEY_OFFICE, zone: "Sydney", start: "2026-10-01T01:00:00Z", minutes: 3_000 },
    { calendar: SANTIAGO_WEEKEND_DESK, zone: "Santiago", start: "2026-09-05T12:00:00Z", minutes: 1_000 },
    { calendar: SANTIAGO_WEEKEND_DESK, zone: "Santiago", start: "2026-04-04T12:00:00Z", minutes: 1_000 },
  ];

  it.each(cases)("$zone $start + $minutes", ({ calendar, start, minutes }) => {
    const due = addWorkingMinutes(at(start), minutes, calendar);
    expect(workingMinutesBetween(at(start), due, calendar)).toBe(minutes);
  });
});

describe("zonedTimeToInstant", () => {
  const cases: Array<{
    name: string;
    timeZone: string;
    local: [number, number, number, number, number];
    disambiguation: Disambiguation;
    instant: string;
  }> = [
    { name: "London summer noon", timeZone: "Europe/London", local: [2026, 7, 1, 12, 0], disambiguation: "compatible", instant: "2026-07-01T11:00:00Z" },
    // 01:30 on 2027-03-28 is skipped: "compatible" and "later" read it with GMT (02:30 BST), "earlier" with BST (00:30 GMT).
    { name: "London gap compatible", timeZone: "Europe/London", local: [2027, 3, 28, 1, 30], disambiguation: "compatible", instant: "2027-03-28T01:30:00Z" },
    { name: "London gap later", timeZone: "Europe/London", local: [2027, 3, 28, 1, 30], disambiguation: "later", instant: "2027-03-28T01:30:00Z" },
    { name: "London gap earlier", timeZone: "Europe/London", local: [2027, 3, 28, 1, 30], disambiguation: "earlier", instant: "2027-03-28T00:30:00Z" },
    // 01:30 on 2026-10-25 happens at 00:30Z (BST) and again at 01:30Z (GMT).
    { name: "London repeat compatible", timeZone: "Europe/London", local: [2026, 10, 25, 1, 30], disambiguation: "compatible", instant: "2026-10-25T00:30:00Z" },
    { name: "London repeat earlier", timeZone: "Europe/London", local: [2026, 10, 25, 1, 30], disambiguation: "earlier", instant: "2026-10-25T00:30:00Z" },
    { name: "London repeat later", timeZone: "Europe/London", local: [2026, 10, 25, 1, 30], disambiguation: "later", instant: "2026-10-25T01:30:00Z" },
    // 02:00 on fall-back night happens once, after the repeated hour.
    { name: "London 02:00 after repeat", timeZone: "Europe/London", local: [2026, 10, 25, 2, 0], disambiguation: "earlier", instant: "2026-10-25T02:00:00Z" },
    // 02:30 on 2027-03-14 is skipped in New York: read with EST it is 03:30 EDT.
    { name: "New York gap", timeZone: "America/New_York", local: [2027, 3, 14, 2, 30], disambiguation: "compatible", instant: "2027-03-14T07:30:00Z" },
    { name: "Kolkata", timeZone: "Asia/Kolkata", local: [2026, 12, 7, 10, 30], disambiguation: "compatible", instant: "2026-12-07T05:00:00Z" },
    // Midnight on 2026-09-06 is skipped in Santiago: read with -04 it is 01:00 -03.
    { name: "Santiago midnight gap", timeZone: "America/Santiago", local: [2026, 9, 6, 0, 0], disambiguation: "compatible", instant: "2026-09-06T04:00:00Z" },
    { name: "Santiago gap earlier", timeZone: "America/Santiago", local: [2026, 9, 6, 0, 0], disambiguation: "earlier", instant: "2026-09-06T03:00:00Z" },
    // 23:30 on Saturday 2026-04-04 happens at 02:30Z (-03) and 03:30Z (-04).
    { name: "Santiago repeat earlier", timeZone: "America/Santiago", local: [2026, 4, 4, 23, 30], disambiguation: "earlier", instant: "2026-04-05T02:30:00Z" },
    { name: "Santiago repeat later", timeZone: "America/Santiago", local: [2026, 4, 4, 23, 30], disambiguation: "later", instant: "2026-04-05T03:30:00Z" },
    // Lord Howe Island moves by only 30 minutes: 02:15 on 2026-10-04 is skipped, 02:45 +11 is 15:45Z.
    { name: "Lord Howe half-hour gap", timeZone: "Australia/Lord_Howe", local: [2026, 10, 4, 2, 15], disambiguation: "compatible", instant: "2026-10-03T15:45:00Z" },
  ];

  it.each(cases)("$name", ({ timeZone, local, disambiguation, instant }) => {
    const [year, month, day, hour, minute] = local;
    const result = zonedTimeToInstant({ year, month, day, hour, minute }, timeZone, disambiguation);
    expect(result.toISOString()).toBe(at(instant).toISOString());
  });

  it("defaults to compatible", () => {
    const result = zonedTimeToInstant({ year: 2027, month: 3, day: 28, hour: 1, minute: 30 }, "Europe/London");
    expect(result.toISOString()).toBe("2027-03-28T01:30:00.000Z");
  });

  it("rejects 31 April", () => {
    expect(() => zonedTimeToInstant({ year: 2026, month: 4, day: 31, hour: 9, minute: 0 }, "Europe/London")).toThrow(/2026-4-31/);
  });

  it("rejects hour 24", () => {
    expect(() => zonedTimeToInstant({ year: 2026, month: 4, day: 1, hour: 24, minute: 0 }, "Europe/London")).toThrow(/hour 24/);
  });
});

describe("zonedParts", () => {
  it("first 01:30 is BST", () => {
    expect(zonedParts(at("2026-10-25T00:30:00Z"), "Europe/London")).toEqual({
      year: 2026,
      month: 10,
      day: 25,
      hour: 1,
      minute: 30,
      second: 0,
      weekday: 7,
      offsetMinutes: 60,
    });
  });

  it("second 01:30 is GMT", () => {
    expect(zonedParts(at("2026-10-25T01:30:00Z"), "Europe/London").offsetMinutes).toBe(0);
  });

  it("Adelaide summer offset", () => {
    // 00:00Z on 2026-12-07 is 10:30 ACDT (UTC+10:30).
    expect(zonedParts(at("2026-12-07T00:00:00Z"), "Australia/Adelaide").offsetMinutes).toBe(630);
  });

  it("midnight is hour 0", () => {
    expect(zonedParts(at("2026-12-07T00:00:00Z"), "Europe/London").hour).toBe(0);
  });

  it("Santiago weekday before midnight gap", () => {
    // 03:59Z on 2026-09-06 is still Saturday 23:59 -04.
    expect(zonedParts(at("2026-09-06T03:59:00Z"), "America/Santiago").weekday).toBe(6);
  });
});

describe("formatForFirm", () => {
  it("en-GB winter", () => {
    expect(formatForFirm(at("2026-12-07T10:30:00Z"), "Europe/London")).toBe("Mon 7 Dec 2026, 10:30");
  });

  it("en-GB summer time", () => {
    expect(formatForFirm(at("2026-07-01T08:05:00Z"), "Europe/London")).toBe("Wed 1 Jul 2026, 09:05");
  });

  it("firm time zone", () => {
    expect(formatForFirm(at("2026-12-07T10:30:00Z"), "America/New_York")).toBe("Mon 7 Dec 2026, 05:30");
  });

  it("en-US keeps its own order", () => {
    expect(formatForFirm(at("2026-12-07T10:30:00Z"), "Europe/London", "en-US")).toBe("Mon, Dec 7, 2026, 10:30");
  });

  it("rejects unknown time zone", () => {
    expect(() => formatForFirm(at("2026-12-07T10:30:00Z"), "Mars/Olympus_Mons")).toThrow(/Mars\/Olympus_Mons/);
  });
});

describe("createWorkingCalendar validation", () => {
  const monday = (start: string, end: string): WorkingDay[] => [{ day: 1, start, end }];
  const cases: Array<{ name: string; timeZone?: string; workingHours: WorkingDay[]; closedDates?: string[]; message: RegExp }> = [
    { name: "unknown time zone", timeZone: "Europe/Londn", workingHours: monday("09:00", "17:00"), message: /Unknown time zone "Europe\/Londn"/ },
    { name: "empty time zone", timeZone: "", workingHours: monday("09:00", "17:00"), message: /Invalid time zone ""/ },
    { name: "single-digit hour", workingHours: monday("9:00", "17:00"), message: /workingHours\[0\]\.start "9:00"/ },
    { name: "hour 25", workingHours: monday("09:00", "25:00"), message: /workingHours\[0\]\.end "25:00"/ },
    { name: "minute 60", workingHours: monday("09:60", "17:00"), message: /workingHours\[0\]\.start "09:60"/ },
    { name: "start 24:00", workingHours: monday("24:00", "24:00"), message: /workingHours\[0\]\.start "24:00"/ },
    { name: "end before start", workingHours: monday("17:00", "09:00"), message: /end "09:00" must be after start "17:00"/ },
    { name: "end equals start", workingHours: monday("09:00", "09:00"), message: /end "09:00" must be after start "09:00"/ },
    { name: "day 0", workingHours: [{ day: 0, start: "09:00", end: "17:00" }], message: /workingHours\[0\]\.day 0/ },
    { name: "day 8", workingHours: [{ day: 8, start: "09:00", end: "17:00" }], message: /workingHours\[0\]\.day 8/ },
    { name: "fractional day", workingHours: [{ day: 1.5, start: "09:00", end: "17:00" }], message: /workingHours\[0\]\.day 1\.5/ },
    { name: "30 February", workingHours: monday("09:00", "17:00"), closedDates: ["2026-02-30"], message: /closedDates\[0\] "2026-02-30"/ },
    { name: "British date order", workingHours: monday("09:00", "17:00"), closedDates: ["25/12/2026"], message: /closedDates\[0\] "25\/12\/2026"/ },
  ];

  it.each(cases)("$name", ({ timeZone = "Europe/London", workingHours, closedDates, message }) => {
    expect(() => createWorkingCalendar({ timeZone, workingHours, closedDates })).toThrow(message);
  });

  it("throws WorkingTimeError", () => {
    expect(() => createWorkingCalendar({ timeZone: "Europe/London", workingHours: monday("17:00", "09:00") })).toThrow(WorkingTimeError);
  });

  it("names the second bad entry", () => {
    const workingHours = [...monday("09:00", "17:00"), { day: 2, start: "09:00", end: "5pm" }];
    expect(() => createWorkingCalendar({ timeZone: "Europe/London", workingHours })).toThrow(/workingHours\[1\]\.end "5pm"/);
  });

  it("rejects non-array hours", () => {
    const workingHours = "Mon-Fri 9-5" as unknown as WorkingDay[];
    expect(() => createWorkingCalendar({ timeZone: "Europe/London", workingHours })).toThrow(/expected an array/);
  });
});

describe("calendars without working time", () => {
  const noHours = createWorkingCalendar({ timeZone: "Europe/London", workingHours: [] });

  it("empty hours are accepted", () => {
    expect(noHours.weeklyHours.size).toBe(0);
  });

  it("addWorkingMinutes throws", () => {
    expect(() => addWorkingMinutes(at("2026-12-07T10:00:00Z"), 120, noHours)).toThrow(/no working hours on any weekday/);
  });

  it("nextWorkingStart throws", () => {
    expect(() => nextWorkingStart(at("2026-12-07T10:00:00Z"), noHours)).toThrow(WorkingTimeError);
  });

  it("never within hours", () => {
    expect(isWithinWorkingHours(at("2026-12-07T10:00:00Z"), noHours)).toBe(false);
  });

  it("zero minutes between", () => {
    expect(workingMinutesBetween(at("2026-12-07T00:00:00Z"), at("2026-12-14T00:00:00Z"), noHours)).toBe(0);
  });

  it("every working day closed", () => {
    // Monday-only hours with every Monday from 7 Dec 2026 for 60 weeks closed.
    const closedDates = Array.from({ length: 60 }, (_, week) => new Date(Date.UTC(2026, 11, 7 + week * 7)).toISOString().slice(0, 10));
    const calendar = createWorkingCalendar({ timeZone: "Europe/London", workingHours: weekdays("09:00", "17:00", [1]), closedDates });
    expect(() => addWorkingMinutes(at("2026-12-06T10:00:00Z"), 60, calendar)).toThrow(/No working time in the 366 days/);
  });

  it("target beyond the search limit", () => {
    // One hour a week gives about 52 hours a year, short of 10,000 minutes.
    const calendar = createWorkingCalendar({ timeZone: "Europe/London", workingHours: weekdays("09:00", "10:00", [1]) });
    expect(() => addWorkingMinutes(at("2026-12-07T10:00:00Z"), 10_000, calendar)).toThrow(/more than 366 days later/);
  });
});

describe("addWorkingMinutes input checks", () => {
  it("rejects negative minutes", () => {
    expect(() => addWorkingMinutes(at("2026-12-07T10:00:00Z"), -5, LONDON_OFFICE)).toThrow(/Invalid minutes -5/);
  });

  it("rejects NaN minutes", () => {
    expect(() => addWorkingMinutes(at("2026-12-07T10:00:00Z"), Number.NaN, LONDON_OFFICE)).toThrow(/Invalid minutes NaN/);
  });

  it("rejects Invalid Date", () => {
    expect(() => addWorkingMinutes(new Date("not a date"), 5, LONDON_OFFICE)).toThrow(/Invalid start/);
  });
});

describe("parseClosedDate", () => {
  it.each([
    ["2026-12-25", "2026-12-25"],
    ["25/12/2026", "2026-12-25"],
    ["1/1/2027", "2027-01-01"],
    ["01/02/2026", "2026-02-01"],
    [" 29/02/2028 ", "2028-02-29"],
  ])("%s reads as %s", (input, expected) => {
    expect(parseClosedDate(input)).toBe(expected);
  });

  it.each(["2026-02-30", "31/04/2026", "29/02/2027", "12/25/2026", "25.12.2026", "25 Dec 2026", "2026-1-5", "", "25/12/26"])(
    "%s is rejected",
    (input) => {
      expect(parseClosedDate(input)).toBeNull();
    },
  );
});
