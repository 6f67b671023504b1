import { zonedParts } from "../working-time/zoned";

/** Calendar arithmetic on local dates written "YYYY-MM-DD", which reports group by (no time of day, no zone). */

const DAY_MS = 86_400_000;
const LOCAL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Returns a "YYYY-MM-DD" date as days since 1970-01-01, or throws RangeError when it is not a real date. */
export function dayNumberOf(date: string): number {
  const match = LOCAL_DATE.exec(date);
  if (!match) throw new RangeError(`Invalid date "${date}": expected YYYY-MM-DD`);
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  const check = new Date(ms);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    throw new RangeError(`Invalid date "${date}": no such day`);
  }
  return ms / DAY_MS;
}

/** Tells whether a string is a real "YYYY-MM-DD" date. */
export function isLocalDate(date: string): boolean {
  try {
    dayNumberOf(date);
    return true;
  } catch {
    return false;
  }
}

export function dateOfDayNumber(dayNumber: number): string {
  return new Date(dayNumber * DAY_MS).toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  return dateOfDayNumber(dayNumberOf(date) + days);
}

/** ISO 8601 week of a date: weeks start on Monday, and week 1 is the week with the year's first Thursday. */
export interface IsoWeek {
  isoYear: number;
  week: number;
}

export function isoWeekOf(date: string): IsoWeek {
  const dayNumber = dayNumberOf(date);
  // 1970-01-01 was a Thursday; the week's Thursday decides its ISO year.
  const weekday = ((((dayNumber + 3) % 7) + 7) % 7) + 1;
  const thursday = dayNumber + (4 - weekday);
  const isoYear = new Date(thursday * DAY_MS).getUTCFullYear();
  // The week's number is the ordinal of its Thursday among the Thursdays of that year.
  return { isoYear, week: Math.floor((thursday - dayNumberOf(`${isoYear}-01-01`)) / 7) + 1 };
}

/** Returns the Monday of an ISO week, or null when that year has no such week (week 53 in a 52-week year). */
export function isoWeekStart(isoYear: number, week: number): string | null {
  const januaryFourth = dayNumberOf(`${String(isoYear).padStart(4, "0")}-01-04`);
  const weekday = ((((januaryFourth + 3) % 7) + 7) % 7) + 1;
  const monday = januaryFourth - (weekday - 1) + (week - 1) * 7;
  const start = dateOfDayNumber(monday);
  const check = isoWeekOf(start);
  return check.isoYear === isoYear && check.week === week ? start : null;
}

export function isoWeekKey(week: IsoWeek): string {
  return `${week.isoYear}-W${String(week.week).padStart(2, "0")}`;
}

/** Returns the last day of the month of a "YYYY-MM" key. */
export function monthEnd(month: string): string {
  const [year, monthNumber] = month.split("-").map(Number) as [number, number];
  return dateOfDayNumber(Date.UTC(year, monthNumber, 1) / DAY_MS - 1);
}

const SHORT_DATE = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
const NUMERIC_DATE = new Intl.DateTimeFormat("en-GB", { day: "2-digit", month: "2-digit", year: "numeric", timeZone: "UTC" });
const MONTH_YEAR = new Intl.DateTimeFormat("en-GB", { month: "long", year: "numeric", timeZone: "UTC" });

/** Formats a local date for a chart label in British English, such as "26 Jan 2026". */
export function formatDateLabel(date: string): string {
  return SHORT_DATE.format(new Date(dayNumberOf(date) * DAY_MS));
}

/** Formats a local date as British spreadsheets expect it, such as "26/01/2026". */
export function formatDateNumeric(date: string): string {
  return NUMERIC_DATE.format(new Date(dayNumberOf(date) * DAY_MS));
}

/** Formats a "YYYY-MM" month, such as "January 2026". */
export function formatMonthLabel(month: string): string {
  return MONTH_YEAR.format(new Date(dayNumberOf(`${month}-01`) * DAY_MS));
}

/** Returns the local date ("YYYY-MM-DD") of an instant in an IANA time zone. */
export function localDateOf(at: Date, timeZone: string): string {
  const parts = zonedParts(at, timeZone);
  return `${String(parts.year).padStart(4, "0")}-${String(parts.month).padStart(2, "0")}-${String(parts.day).padStart(2, "0")}`;
}

/** A period of local dates cut into the whole months it covers and the days left over at either end. */
export interface PeriodParts {
  /** First and last whole month ("YYYY-MM"), or null when the period covers no whole month. */
  months: [string, string] | null;
  /** Inclusive date ranges outside the whole months: none, one or two. */
  days: [string, string][];
}

/** Cuts the inclusive period from–to into whole months and the days before and after them. */
export function splitPeriodByMonth(from: string, to: string): PeriodParts {
  const firstMonth = from.endsWith("-01") ? from.slice(0, 7) : addDays(monthEnd(from.slice(0, 7)), 1).slice(0, 7);
  const lastMonth = monthEnd(to.slice(0, 7)) === to ? to.slice(0, 7) : addDays(`${to.slice(0, 7)}-01`, -1).slice(0, 7);
  if (firstMonth > lastMonth) return { months: null, days: [[from, to]] };
  const days: [string, string][] = [];
  if (from < `${firstMonth}-01`) days.push([from, addDays(`${firstMonth}-01`, -1)]);
  if (to > monthEnd(lastMonth)) days.push([addDays(monthEnd(lastMonth), 1), to]);
  return { months: [firstMonth, lastMonth], days };
}
