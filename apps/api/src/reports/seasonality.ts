import { buildSeasonality, formatDateNumeric, type SeasonalPeriod } from "@plumbline/core";
import { countEnquiriesByDate, findFirstEnquiryDate, type Database } from "@plumbline/db";
import type { CsvTable } from "./csv";
import { describeRequest, type ReportRequest } from "./filters";

/**
 * Builds the seasonality report: enquiries per ISO week and per month over the period, with unusual periods marked.
 * Each period is compared with the same week or month of earlier years. Without two earlier years of history, it is
 * compared with the weeks or months just before it. The rule is buildSeasonality's in packages/core.
 */
export async function buildSeasonalityReport(db: Database, request: ReportRequest) {
  const { from, to, ...dimensions } = request.filters;
  const [daily, historyStart] = await Promise.all([countEnquiriesByDate(db, dimensions, to), findFirstEnquiryDate(db, request.filters.firmId)]);
  const weeks = buildSeasonality(daily, { from, to, granularity: "week", historyStart });
  const months = buildSeasonality(daily, { from, to, granularity: "month", historyStart });
  return {
    report: "seasonality",
    ...describeRequest(request),
    historyStart,
    rule: "A period is unusual when its enquiries are outside mean ± 2 × max(SD, 1) of the same period in earlier years, or of the periods just before it when there are fewer than two earlier years.",
    weeks,
    months,
    charts: { weeks: chartOf(weeks), months: chartOf(months) },
  };
}

function chartOf(periods: SeasonalPeriod[]) {
  return {
    labels: periods.map((period) => period.label),
    keys: periods.map((period) => period.key),
    series: [
      { key: "enquiries", label: "Enquiries", values: periods.map((period) => period.enquiries) },
      { key: "baseline", label: "Usual (mean)", values: periods.map((period) => period.baseline?.mean ?? null) },
      { key: "low", label: "Usual range, low", values: periods.map((period) => period.baseline?.low ?? null) },
      { key: "high", label: "Usual range, high", values: periods.map((period) => period.baseline?.high ?? null) },
    ],
    unusual: periods.map((period) => period.unusual),
  };
}

export function seasonalityReportCsv(report: Awaited<ReturnType<typeof buildSeasonalityReport>>): CsvTable {
  const header = ["Granularity", "Period", "Start", "End", "Enquiries", "Earlier years", "Baseline basis", "Mean", "SD", "Low", "High", "Unusual"];
  const line = (granularity: string, period: SeasonalPeriod) => [
    granularity,
    period.label,
    formatDateNumeric(period.start),
    formatDateNumeric(period.end),
    period.enquiries,
    period.earlierYears.map((year) => `${year.year}: ${year.enquiries}`).join("; "),
    period.baseline?.basis ?? "",
    period.baseline?.mean ?? null,
    period.baseline?.sd ?? null,
    period.baseline?.low ?? null,
    period.baseline?.high ?? null,
    period.unusual ?? "",
  ];
  return { header, rows: [...report.weeks.map((week) => line("Week", week)), ...report.months.map((month) => line("Month", month))] };
}
