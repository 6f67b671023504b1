import { addDays, dayNumberOf, formatDateLabel, formatMonthLabel, isoWeekKey, isoWeekOf, isoWeekStart, monthEnd } from "./calendar";

/** Enquiries on one local date. */
export interface DailyCount {
  date: string;
  enquiries: number;
}

export type SeasonalGranularity = "week" | "month";

/** The counts a period is compared with: the same period of earlier years, or the periods just before it. */
export interface SeasonalBaseline {
  basis: "earlier_years" | "trailing";
  mean: number;
  /** Sample standard deviation (divides by n − 1) of the compared periods. */
  sd: number;
  /** The band outside which a period is unusual: mean ± 2 × max(sd, 1). */
  low: number;
  high: number;
  periods: number;
}

export interface SeasonalPeriod {
  /** "2026-W05" for an ISO week, "2026-01" for a month. */
  key: string;
  /** "Week 5, 2026" or "January 2026". */
  label: string;
  start: string;
  end: string;
  /** The first day in British English, such as "26 Jan 2026", for a chart axis. */
  startLabel: string;
  enquiries: number;
  /** The same ISO week or month in each earlier year with full history, newest first. */
  earlierYears: { year: number; enquiries: number }[];
  baseline: SeasonalBaseline | null;
  unusual: "high" | "low" | null;
}

/** Maximum earlier years compared, because much older years tell little about the firm as it is now. */
export const SEASONAL_YEARS_BACK = 5;
/** Periods just before this one used when there are fewer than two earlier years. */
export const TRAILING_PERIODS = { week: 8, month: 6 } as const;
/** Minimum periods a baseline needs. With fewer there is no baseline, and nothing is marked unusual. */
export const MIN_BASELINE_PERIODS = 2;
const MIN_TRAILING_PERIODS = 4;

interface PeriodRange {
  key: string;
  label: string;
  start: string;
  end: string;
  year: number;
  /** ISO week number or month number (1–12), the part that repeats every year. */
  index: number;
}

/**
 * Builds per-week or per-month enquiry counts for every period that overlaps `from`–`to` (whole periods, so a
 * week that starts before `from` counts all its days), and marks the unusual ones.
 *
 * The baseline is the same ISO week or month in earlier years (up to SEASONAL_YEARS_BACK). It uses only periods
 * that start on or after `historyStart`, the firm's first recorded enquiry, because a year before the firm used
 * Plumbline would read as a year of zeros. With fewer than two such years the baseline is the trailing window of
 * the TRAILING_PERIODS periods just before (at least four of them with full history). A period is unusual when its
 * count is outside mean ± 2 × max(SD, 1). The SD floor of one enquiry keeps a run of identical years from making
 * every small change unusual. A period with no baseline is never unusual.
 */
export function buildSeasonality(
  daily: readonly DailyCount[],
  options: { from: string; to: string; granularity: SeasonalGranularity; historyStart: string | null },
): SeasonalPeriod[] {
  const byDay = new Map<number, number>();
  for (const row of daily) byDay.set(dayNumberOf(row.date), (byDay.get(dayNumberOf(row.date)) ?? 0) + row.enquiries);
  const countIn = (range: PeriodRange) => {
    let total = 0;
    for (let day = dayNumberOf(range.start); day <= dayNumberOf(range.end); day++) total += byDay.get(day) ?? 0;
    return total;
  };
  const hasHistory = (range: PeriodRange) => options.historyStart !== null && range.start >= options.historyStart;

  const periods = periodsBetween(options.from, options.to, options.granularity);
  return periods.map((range) => {
    const enquiries = countIn(range);
    const earlierYears: { year: number; enquiries: number }[] = [];
    for (let back = 1; back <= SEASONAL_YEARS_BACK; back++) {
      const earlier = samePeriodOfYear(range, range.year - back, options.granularity);
      if (earlier && hasHistory(earlier)) earlierYears.push({ year: earlier.year, enquiries: countIn(earlier) });
    }

    let baseline: SeasonalBaseline | null = null;
    if (earlierYears.length >= MIN_BASELINE_PERIODS) {
      baseline = baselineOf(earlierYears.map((year) => year.enquiries), "earlier_years");
    } else {
      const trailing = trailingPeriods(range, options.granularity).filter(hasHistory).map(countIn);
      if (trailing.length >= MIN_TRAILING_PERIODS) baseline = baselineOf(trailing, "trailing");
    }

    let unusual: SeasonalPeriod["unusual"] = null;
    if (baseline && enquiries > baseline.high) unusual = "high";
    if (baseline && enquiries < baseline.low) unusual = "low";
    return {
      key: range.key,
      label: range.label,
      start: range.start,
      end: range.end,
      startLabel: formatDateLabel(range.start),
      enquiries,
      earlierYears,
      baseline,
      unusual,
    };
  });
}

/** Returns the mean, sample SD and the band mean ± 2 × max(SD, 1), each rounded to 2 decimal places. */
export function baselineOf(values: readonly number[], basis: SeasonalBaseline["basis"]): SeasonalBaseline {
  if (values.length < MIN_BASELINE_PERIODS) throw new RangeError(`A baseline needs at least ${MIN_BASELINE_PERIODS} values, got ${values.length}`);
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (values.length - 1);
  const sd = Math.sqrt(variance);
  const halfWidth = 2 * Math.max(sd, 1);
  return { basis, mean: round2(mean), sd: round2(sd), low: round2(mean - halfWidth), high: round2(mean + halfWidth), periods: values.length };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function weekRange(isoYear: number, week: number): PeriodRange | null {
  const start = isoWeekStart(isoYear, week);
  if (!start) return null;
  return { key: isoWeekKey({ isoYear, week }), label: `Week ${week}, ${isoYear}`, start, end: addDays(start, 6), year: isoYear, index: week };
}

function monthRange(year: number, month: number): PeriodRange {
  const key = `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}`;
  return { key, label: formatMonthLabel(key), start: `${key}-01`, end: monthEnd(key), year, index: month };
}

function periodsBetween(from: string, to: string, granularity: SeasonalGranularity): PeriodRange[] {
  const periods: PeriodRange[] = [];
  if (granularity === "week") {
    const first = isoWeekOf(from);
    let range = weekRange(first.isoYear, first.week)!;
    while (range.start <= to) {
      periods.push(range);
      const next = isoWeekOf(addDays(range.start, 7));
      range = weekRange(next.isoYear, next.week)!;
    }
    return periods;
  }
  let [year, month] = from.slice(0, 7).split("-").map(Number) as [number, number];
  let range = monthRange(year, month);
  while (range.start <= to) {
    periods.push(range);
    month += 1;
    if (month === 13) [year, month] = [year + 1, 1];
    range = monthRange(year, month);
  }
  return periods;
}

function samePeriodOfYear(range: PeriodRange, year: number, granularity: SeasonalGranularity): PeriodRange | null {
  return granularity === "week" ? weekRange(year, range.index) : monthRange(year, range.index);
}

function trailingPeriods(range: PeriodRange, granularity: SeasonalGranularity): PeriodRange[] {
  const periods: PeriodRange[] = [];
  let cursor = range;
  for (let step = 0; step < TRAILING_PERIODS[granularity]; step++) {
    if (granularity === "week") {
      const previous = isoWeekOf(addDays(cursor.start, -7));
      cursor = weekRange(previous.isoYear, previous.week)!;
    } else {
      const previous = addDays(cursor.start, -1);
      cursor = monthRange(Number(previous.slice(0, 4)), Number(previous.slice(5, 7)));
    }
    periods.push(cursor);
  }
  return periods;
}
