import { hasWorkingHours, workingIntervalsOnDay, WorkingTimeError, type WorkingCalendar } from "./calendar";
import { localDayNumber, MINUTE_MS, validEpochMilliseconds } from "./zoned";

/**
 * Local days that addWorkingMinutes and nextWorkingStart search past the start date. A year
 * and a day covers a firm closed for a long holiday, and bounds the work when closed dates
 * cover every working day.
 */
export const MAX_SEARCH_DAYS = 366;

/**
 * Returns the instant at which `minutes` of the calendar's working time have elapsed after
 * `start`. Counting begins at the next opening when `start` is outside working hours, so
 * 0 minutes returns the next working instant at or after `start`. A target that ends exactly
 * at closing time returns closing time, not the next opening.
 *
 * Working time is real elapsed time inside the firm's wall-clock hours, so a day that spans a
 * daylight-saving change is shorter or longer in real time (see workingIntervalsOnDay).
 * Iterates per working interval, not per minute. Throws RangeError for a negative or
 * non-finite `minutes`, and WorkingTimeError when the calendar has no working hours or the
 * target is not reached within MAX_SEARCH_DAYS local days.
 */
export function addWorkingMinutes(start: Date, minutes: number, calendar: WorkingCalendar): Date {
  const startMs = validEpochMilliseconds(start, "start");
  if (typeof minutes !== "number" || !Number.isFinite(minutes) || minutes < 0) {
    throw new RangeError(`Invalid minutes ${String(minutes)}: expected a finite number of working minutes, 0 or more`);
  }
  return new Date(advanceThroughWorkingTime(startMs, Math.round(minutes * MINUTE_MS), calendar));
}

/**
 * Returns the first working instant at or after `at`, which is `at` itself inside working
 * hours. Throws WorkingTimeError under the same conditions as addWorkingMinutes.
 */
export function nextWorkingStart(at: Date, calendar: WorkingCalendar): Date {
  const atMs = validEpochMilliseconds(at, "at");
  return new Date(advanceThroughWorkingTime(atMs, 0, calendar));
}

/** Returns whether `at` falls in working hours. Opening time is inside, closing time is outside. */
export function isWithinWorkingHours(at: Date, calendar: WorkingCalendar): boolean {
  const atMs = validEpochMilliseconds(at, "at");
  const day = localDayNumber(atMs, calendar.timeZone);

  // The next day is checked too, because clocks going back across midnight show the
  // previous date again after the next day's opening time has passed.
  for (const candidateDay of [day, day + 1]) {
    for (const interval of workingIntervalsOnDay(candidateDay, calendar)) {
      if (interval.start <= atMs && atMs < interval.end) return true;
    }
  }
  return false;
}

/**
 * Returns the working minutes between two instants, for reports such as response time in
 * working hours. It inverts addWorkingMinutes: for any start and m,
 * workingMinutesBetween(start, addWorkingMinutes(start, m)) is m. The result is fractional
 * when the instants are not whole minutes apart, and 0 when `to` is not after `from`.
 */
export function workingMinutesBetween(from: Date, to: Date, calendar: WorkingCalendar): number {
  const fromMs = validEpochMilliseconds(from, "from");
  const toMs = validEpochMilliseconds(to, "to");
  if (toMs <= fromMs) return 0;

  // One day past the end date, for the same reason as in isWithinWorkingHours.
  const firstDay = localDayNumber(fromMs, calendar.timeZone);
  const lastDay = localDayNumber(toMs, calendar.timeZone) + 1;

  let workingMs = 0;
  for (let day = firstDay; day <= lastDay; day++) {
    for (const interval of workingIntervalsOnDay(day, calendar)) {
      const overlap = Math.min(interval.end, toMs) - Math.max(interval.start, fromMs);
      if (overlap > 0) workingMs += overlap;
    }
  }
  return workingMs / MINUTE_MS;
}

/**
 * Walks the working intervals from `startMs` until `targetMs` of working time has elapsed,
 * and returns that instant in epoch milliseconds.
 */
function advanceThroughWorkingTime(startMs: number, targetMs: number, calendar: WorkingCalendar): number {
  if (!hasWorkingHours(calendar)) {
    throw new WorkingTimeError(
      "The working calendar has no working hours on any weekday, so no due time exists. Set working hours for at least one day.",
    );
  }

  // Intervals of earlier local days all end before startMs, so the search starts on its local date.
  const firstDay = localDayNumber(startMs, calendar.timeZone);
  let cursorMs = startMs;
  let remainingMs = targetMs;
  let foundWorkingTime = false;

  for (let day = firstDay; day <= firstDay + MAX_SEARCH_DAYS; day++) {
    for (const interval of workingIntervalsOnDay(day, calendar)) {
      if (interval.end <= cursorMs) continue;

      foundWorkingTime = true;
      const fromMs = Math.max(interval.start, cursorMs);
      const availableMs = interval.end - fromMs;
      if (remainingMs <= availableMs) return fromMs + remainingMs;

      remainingMs -= availableMs;
      cursorMs = interval.end;
    }
  }

  const startText = new Date(startMs).toISOString();
  if (!foundWorkingTime) {
    throw new WorkingTimeError(
      `No working time in the ${MAX_SEARCH_DAYS} days after ${startText} (${calendar.timeZone}): ` +
        "closed dates cover every working day. Check the closed dates.",
    );
  }
  throw new WorkingTimeError(
    `${targetMs / MINUTE_MS} working minutes after ${startText} (${calendar.timeZone}) end more than ${MAX_SEARCH_DAYS} days later. ` +
      "Use a smaller target or add working hours.",
  );
}
