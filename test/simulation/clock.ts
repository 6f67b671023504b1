/**
 * Simulated calendar for the firm. Days are counted from the first day of the simulation, and times of day are
 * wall-clock times in Europe/London. So 09:00 is 09:00 UTC in winter, and 08:00 UTC after the clocks go forward
 * on 29 March 2026.
 */

export const FIRM_TIME_ZONE = "Europe/London";

export interface CalendarDay {
  year: number;
  /** 1 for January. */
  month: number;
  day: number;
}

/** Day 0 of the simulation, a Monday. */
export const FIRST_DAY: CalendarDay = { year: 2026, month: 1, day: 5 };

let dayZero: CalendarDay = FIRST_DAY;

/** Moves day 0 of the simulation. Only the demo history run does this, so that its months end near the day it runs. */
export function startCalendarOn(day: CalendarDay) {
  dayZero = day;
}

export const DAY_MS = 86_400_000;

/** The two daily cron runs the simulation makes, in London time. */
export const CRON_TIMES = ["09:00", "17:00"] as const;

/** A wall-clock time of day such as "09:00". */
export type TimeOfDay = `${number}:${number}`;

const wallClock = new Intl.DateTimeFormat("en-GB", {
  timeZone: FIRM_TIME_ZONE,
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});

/** Returns the instant that London's clocks show as `time` on simulation day `day`. */
export function londonTime(day: number, time: TimeOfDay): Date {
  const [hours, minutes] = time.split(":").map(Number) as [number, number];
  const asIfUtc = Date.UTC(dayZero.year, dayZero.month - 1, dayZero.day + day, hours, minutes);

  // London is UTC or UTC+1, and reading the wall clock at the UTC guess gives the offset to take away. That is
  // exact except inside the hour the clocks change (01:00 to 02:00), which the simulation never uses.
  const offset = wallClockAsUtc(new Date(asIfUtc)) - asIfUtc;
  return new Date(asIfUtc - offset);
}

/** Formats an instant as London wall-clock time, "2026-03-30 09:00", for failure messages. */
export function formatLondon(instant: Date | number): string {
  const parts = partsOf(new Date(instant));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

/** Lists every cron run of the simulation from day 0 to `lastDay`, oldest first. */
export function cronSchedule(lastDay: number): Date[] {
  const runs: Date[] = [];
  for (let day = 0; day <= lastDay; day++) {
    for (const time of CRON_TIMES) runs.push(londonTime(day, time));
  }
  return runs;
}

function wallClockAsUtc(instant: Date): number {
  const parts = partsOf(instant);
  return Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
}

function partsOf(instant: Date): Record<string, string> {
  return Object.fromEntries(wallClock.formatToParts(instant).map((part) => [part.type, part.value]));
}
