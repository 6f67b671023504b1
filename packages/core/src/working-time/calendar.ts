import {
  assertTimeZone,
  firstInstantAtOrAfterLocal,
  isoDateOfDayNumber,
  isoWeekdayOfDayNumber,
  offsetMilliseconds,
  DAY_MS,
  MINUTE_MS,
} from "./zoned";

/**
 * Opening hours for one weekday as wall-clock "HH:MM" in the firm's time zone. The shape
 * matches the firms.working_hours column, and `end` may be "24:00" for midnight at the end
 * of the day.
 */
export interface WorkingDay {
  /** ISO weekday: 1 is Monday, 7 is Sunday. */
  day: number;
  start: string;
  end: string;
}

export interface WorkingCalendarInput {
  /** IANA time zone such as Europe/London. */
  timeZone: string;
  /** A weekday with no entry is closed. Overlapping entries for one weekday are merged. */
  workingHours: readonly WorkingDay[];
  /** Local dates as "YYYY-MM-DD" on which the firm is closed all day, such as bank holidays. */
  closedDates?: readonly string[];
}

/** Opening range in minutes after local midnight, end exclusive. */
export interface MinuteRange {
  start: number;
  end: number;
}

/** Validated working hours of one firm. Build it with {@link createWorkingCalendar}. */
export interface WorkingCalendar {
  readonly timeZone: string;
  /** Sorted, non-overlapping opening ranges keyed by ISO weekday. A closed weekday has no key. */
  readonly weeklyHours: ReadonlyMap<number, readonly MinuteRange[]>;
  /** Local dates as "YYYY-MM-DD". */
  readonly closedDates: ReadonlySet<string>;
}

/** Working period as epoch milliseconds, end exclusive. */
export interface WorkingInterval {
  start: number;
  end: number;
}

/** Invalid calendar input, or working time that a calendar cannot supply. */
export class WorkingTimeError extends Error {
  override name = "WorkingTimeError";
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const CLOCK_TIME = /^(\d{2}):(\d{2})$/;

/**
 * Validates working hours and closed dates and returns a calendar for the working-time
 * functions. Throws WorkingTimeError naming the bad value: an unknown time zone, a day
 * outside 1 to 7, a time not in "HH:MM" form, an end not after its start, or a closed date
 * that is not a real "YYYY-MM-DD" date. Empty working hours are valid, because a firm may
 * not have set them yet, but addWorkingMinutes then throws.
 */
export function createWorkingCalendar(input: WorkingCalendarInput): WorkingCalendar {
  const { timeZone, workingHours, closedDates = [] } = input;

  try {
    assertTimeZone(timeZone);
  } catch (error) {
    throw new WorkingTimeError(error instanceof Error ? error.message : String(error));
  }
  if (!Array.isArray(workingHours)) {
    throw new WorkingTimeError(`Invalid workingHours: expected an array of { day, start, end }, got ${describeValue(workingHours)}`);
  }
  if (!Array.isArray(closedDates)) {
    throw new WorkingTimeError(`Invalid closedDates: expected an array of "YYYY-MM-DD" strings, got ${describeValue(closedDates)}`);
  }

  const rangesByDay = new Map<number, MinuteRange[]>();
  workingHours.forEach((entry, index) => {
    const { day, range } = parseWorkingDay(entry, `workingHours[${index}]`);
    const ranges = rangesByDay.get(day) ?? [];
    ranges.push(range);
    rangesByDay.set(day, ranges);
  });

  const weeklyHours = new Map<number, readonly MinuteRange[]>();
  for (const day of [...rangesByDay.keys()].sort((a, b) => a - b)) {
    weeklyHours.set(day, mergeRanges(rangesByDay.get(day) ?? []));
  }

  const closed = new Set<string>();
  closedDates.forEach((value, index) => {
    closed.add(parseIsoDate(value, `closedDates[${index}]`));
  });

  return Object.freeze({ timeZone, weeklyHours, closedDates: closed });
}

/**
 * Returns the working intervals of one local date, as instants in ascending order.
 *
 * Each boundary is the first instant at which the firm's wall clock reads that time or
 * later. So when clocks go forward, a boundary inside the skipped hour moves to the moment
 * of the change and the skipped hour adds no working time. When clocks go back, a boundary
 * inside the repeated hour takes its first occurrence, and an interval spanning the repeated
 * hour lasts an hour longer in real time. An interval that falls wholly inside a skipped
 * hour is empty and left out.
 */
export function workingIntervalsOnDay(dayNumber: number, calendar: WorkingCalendar): WorkingInterval[] {
  const ranges = calendar.weeklyHours.get(isoWeekdayOfDayNumber(dayNumber));
  if (!ranges || calendar.closedDates.has(isoDateOfDayNumber(dayNumber))) return [];

  // Offsets stay within 14 hours of UTC, so every instant whose wall clock reads a time on
  // this date (or 24:00) lies between the two sample points. Equal offsets there mean no
  // transition in between, and each boundary is then the local time minus that offset,
  // which saves the per-boundary lookups. That assumes no two transitions fall within three
  // days of each other, which is true of the rules in force today.
  const timeZone = calendar.timeZone;
  const offsetBefore = offsetMilliseconds((dayNumber - 1) * DAY_MS, timeZone);
  const offsetAfter = offsetMilliseconds((dayNumber + 2) * DAY_MS, timeZone);
  const steadyOffset = offsetBefore === offsetAfter ? offsetBefore : undefined;

  const boundaryInstant = (minuteOfDay: number): number => {
    // Minute 1440 ("24:00") encodes midnight of the next day.
    const localMs = dayNumber * DAY_MS + minuteOfDay * MINUTE_MS;
    return steadyOffset === undefined ? firstInstantAtOrAfterLocal(localMs, timeZone) : localMs - steadyOffset;
  };

  const intervals: WorkingInterval[] = [];
  for (const range of ranges) {
    const start = boundaryInstant(range.start);
    const end = boundaryInstant(range.end);
    if (end > start) intervals.push({ start, end });
  }
  return intervals;
}

/** Returns whether any weekday has opening hours. */
export function hasWorkingHours(calendar: WorkingCalendar): boolean {
  return calendar.weeklyHours.size > 0;
}

function parseWorkingDay(entry: unknown, label: string): { day: number; range: MinuteRange } {
  if (typeof entry !== "object" || entry === null) {
    throw new WorkingTimeError(`Invalid ${label}: expected { day, start, end }, got ${describeValue(entry)}`);
  }
  const { day, start, end } = entry as Record<string, unknown>;

  if (typeof day !== "number" || !Number.isInteger(day) || day < 1 || day > 7) {
    throw new WorkingTimeError(`Invalid ${label}.day ${describeValue(day)}: expected an ISO weekday from 1 (Monday) to 7 (Sunday)`);
  }
  const startMinute = parseClockTime(start, `${label}.start`, false);
  const endMinute = parseClockTime(end, `${label}.end`, true);
  if (endMinute <= startMinute) {
    throw new WorkingTimeError(
      `Invalid ${label}: end ${describeValue(end)} must be after start ${describeValue(start)}, ` +
        `because hours that cross midnight are not supported. Split them into two days, ending the first at "24:00".`,
    );
  }
  return { day, range: { start: startMinute, end: endMinute } };
}

/** Parses "HH:MM" (24-hour, two digits each) into minutes after midnight. */
function parseClockTime(value: unknown, label: string, allowMidnightEnd: boolean): number {
  const match = typeof value === "string" ? CLOCK_TIME.exec(value) : null;
  const hours = Number(match?.[1]);
  const minutes = Number(match?.[2]);
  const isEndOfDay = allowMidnightEnd && hours === 24 && minutes === 0;

  if (!match || minutes > 59 || (hours > 23 && !isEndOfDay)) {
    const allowed = allowMidnightEnd ? "00:00 to 24:00" : "00:00 to 23:59";
    throw new WorkingTimeError(`Invalid ${label} ${describeValue(value)}: expected 24-hour "HH:MM" from ${allowed}, such as "09:00"`);
  }
  return hours * 60 + minutes;
}

function parseIsoDate(value: unknown, label: string): string {
  const match = typeof value === "string" ? ISO_DATE.exec(value) : null;
  if (match && isRealDate(Number(match[1]), Number(match[2]), Number(match[3]))) return value as string;
  throw new WorkingTimeError(`Invalid ${label} ${describeValue(value)}: expected a real date as "YYYY-MM-DD", such as "2026-12-25"`);
}

/** Day-first date as written in the UK: "25/12/2026", or "1/1/2027" without leading zeros. */
const UK_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;

/** Outcome of reading a typed closed date: the ISO date, or why it could not be read. */
export type ClosedDateResult = { date: string } | { error: "unknown_format" | "no_such_date" };

/**
 * Reads a closed date typed as "YYYY-MM-DD" or day first as "DD/MM/YYYY" or "D/M/YYYY", the UK order, so
 * "01/02/2026" is 1 February. Returns the date as "YYYY-MM-DD", or the reason it is not one: another format, or a
 * date that does not exist, such as 31/04/2026.
 */
export function readClosedDate(text: string): ClosedDateResult {
  const trimmed = text.trim();
  const iso = ISO_DATE.exec(trimmed);
  const uk = iso ? null : UK_DATE.exec(trimmed);
  if (!iso && !uk) return { error: "unknown_format" };

  const [year, month, day] = iso ? [Number(iso[1]), Number(iso[2]), Number(iso[3])] : [Number(uk![3]), Number(uk![2]), Number(uk![1])];
  if (!isRealDate(year, month, day)) return { error: "no_such_date" };
  return { date: `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}` };
}

/** Returns the closed date as "YYYY-MM-DD", or null when readClosedDate cannot read it. */
export function parseClosedDate(text: string): string | null {
  const result = readClosedDate(text);
  return "date" in result ? result.date : null;
}

function isRealDate(year: number, month: number, day: number): boolean {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  // Date rolls 2026-02-30 over to 2026-03-02, so a changed field means the date does not exist.
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** Sorts ranges and merges those that overlap or touch. */
function mergeRanges(ranges: readonly MinuteRange[]): MinuteRange[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const merged: MinuteRange[] = [];
  for (const range of sorted) {
    const last = merged[merged.length - 1];
    if (last && range.start <= last.end) {
      last.end = Math.max(last.end, range.end);
    } else {
      merged.push({ ...range });
    }
  }
  return merged;
}

function describeValue(value: unknown): string {
  return value === undefined ? "undefined" : JSON.stringify(value) ?? String(value);
}
