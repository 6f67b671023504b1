import type { WorkingRange } from "./api-types";

/** ISO weekday numbers, 1 for Monday to 7 for Sunday, as the API stores them. */
export const WEEKDAYS = [
  { day: 1, label: "Monday" },
  { day: 2, label: "Tuesday" },
  { day: 3, label: "Wednesday" },
  { day: 4, label: "Thursday" },
  { day: 5, label: "Friday" },
  { day: 6, label: "Saturday" },
  { day: 7, label: "Sunday" },
] as const;

/** Writes one day's ranges as the form shows them, such as "09:00-12:30, 13:30-17:30"; "" when closed. */
export function formatDayRanges(ranges: WorkingRange[], day: number): string {
  return ranges
    .filter((range) => range.day === day)
    .map((range) => `${range.start}-${range.end}`)
    .join(", ");
}

const RANGE = /^(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})$/;

/**
 * Parses one day's text back into ranges, or returns an error message when a part is not "HH:MM-HH:MM". The API
 * checks that the times are valid and in order, with the same calendar that computes due dates.
 */
export function parseDayRanges(text: string, day: number): WorkingRange[] | string {
  const parts = text.split(",").map((part) => part.trim()).filter((part) => part !== "");
  const ranges: WorkingRange[] = [];
  for (const part of parts) {
    const match = RANGE.exec(part);
    if (!match) return `"${part}" is not a time range. Write it as 09:00-17:30, with commas between ranges.`;
    ranges.push({ day, start: match[1]!.padStart(5, "0"), end: match[2]!.padStart(5, "0") });
  }
  return ranges;
}
