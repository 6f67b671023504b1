export {
  createWorkingCalendar,
  parseClosedDate,
  readClosedDate,
  WorkingTimeError,
  type ClosedDateResult,
  type MinuteRange,
  type WorkingCalendar,
  type WorkingCalendarInput,
  type WorkingDay,
} from "./calendar";
export { addWorkingMinutes, isWithinWorkingHours, MAX_SEARCH_DAYS, nextWorkingStart, workingMinutesBetween } from "./arithmetic";
export { formatForFirm } from "./format";
export { zonedParts, zonedTimeToInstant, type Disambiguation, type LocalDateTime, type ZonedParts } from "./zoned";
