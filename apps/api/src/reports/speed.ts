import { conversionByBand, ratio, RESPONSE_BANDS, shareWithinTarget } from "@plumbline/core";
import { bandsOf, findMemberNames, sumEnquiryGroups, type Database, type EnquiryGroup } from "@plumbline/db";
import { sum } from "./channels";
import type { CsvTable } from "./csv";
import { describeRequest, labelOf, type ReportRequest } from "./filters";

interface ResponseSummary {
  key: string | null;
  label: string;
  enquiries: number;
  responded: number;
  /** Mean hours to the first human response among those replied to, 2 decimal places; null when none were. */
  meanClockHours: number | null;
  meanWorkingHours: number | null;
  withinTarget: number;
  shareWithinTarget: number | null;
  wins: number;
  conversionRate: number | null;
}

function summarise(key: string | null, label: string, groups: EnquiryGroup[]): ResponseSummary {
  const enquiries = sum(groups.map((group) => group.enquiries));
  const responded = sum(groups.map((group) => group.responded));
  const withinTarget = sum(groups.map((group) => group.withinTarget));
  const wins = sum(groups.map((group) => group.wins));
  const meanHours = (totalMinutes: number) => (responded === 0 ? null : Math.round((totalMinutes / responded / 60) * 100) / 100);
  return {
    key,
    label,
    enquiries,
    responded,
    meanClockHours: meanHours(sum(groups.map((group) => group.clockMinutesTotal))),
    meanWorkingHours: meanHours(sum(groups.map((group) => group.workingMinutesTotal))),
    withinTarget,
    shareWithinTarget: shareWithinTarget(withinTarget, enquiries),
    wins,
    conversionRate: ratio(wins, enquiries),
  };
}

function rollUp(groups: EnquiryGroup[], keyOf: (group: EnquiryGroup) => string | null, labelFor: (key: string | null) => string): ResponseSummary[] {
  const byKey = new Map<string | null, EnquiryGroup[]>();
  for (const group of groups) byKey.set(keyOf(group), [...(byKey.get(keyOf(group)) ?? []), group]);
  return [...byKey.entries()].map(([key, members]) => summarise(key, labelFor(key), members)).sort((a, b) => a.label.localeCompare(b.label));
}

/**
 * Builds the speed-to-lead report: time from enquiry to the first human reply in clock and working hours, by owner,
 * service line and channel. The automatic acknowledgement does not count as a reply. The report adds the share
 * within the firm's target (in working minutes) and conversion by response band in clock and in working time.
 */
export async function buildSpeedReport(db: Database, request: ReportRequest, firm: { id: string; responseTargetMinutes: number }) {
  // Within-target counts in report_totals follow the firm's current target (a new target recounts them).
  const target = firm.responseTargetMinutes;
  const [groups, names] = await Promise.all([sumEnquiryGroups(db, request.filters), findMemberNames(db, firm.id)]);
  const [clockBands, workingBands] = [bandsOf(groups, "clock"), bandsOf(groups, "working")];

  const bands = {
    clock: conversionByBand(clockBands.map((band) => ({ band: band.band, enquiries: band.enquiries, won: band.wins }))),
    working: conversionByBand(workingBands.map((band) => ({ band: band.band, enquiries: band.enquiries, won: band.wins }))),
  };
  return {
    report: "speed-to-lead",
    ...describeRequest(request),
    targetWorkingMinutes: target,
    totals: summarise(null, "All enquiries", groups),
    byOwner: rollUp(groups, (group) => group.ownerUserId, (key) => (key === null ? "Unassigned" : (names.get(key) ?? key))),
    byServiceLine: rollUp(groups, (group) => group.serviceLine, (key) => labelOf(key, "No service line")),
    byChannel: rollUp(groups, (group) => group.channel, (key) => labelOf(key, "Unknown")),
    conversionByBand: bands,
    chart: {
      labels: RESPONSE_BANDS.map((band) => band.label),
      keys: RESPONSE_BANDS.map((band) => band.key),
      series: [
        { key: "clock", label: "Conversion by clock time", values: bands.clock.map((band) => band.rate) },
        { key: "working", label: "Conversion by working time", values: bands.working.map((band) => band.rate) },
      ],
    },
  };
}

export function speedReportCsv(report: Awaited<ReturnType<typeof buildSpeedReport>>): CsvTable {
  const header = ["Dimension", "Group", "Enquiries", "Responded", "Mean clock hours", "Mean working hours", "Within target", "Share within target", "Wins", "Conversion rate"];
  const line = (dimension: string, row: ResponseSummary) => [
    dimension,
    row.label,
    row.enquiries,
    row.responded,
    row.meanClockHours,
    row.meanWorkingHours,
    row.withinTarget,
    row.shareWithinTarget,
    row.wins,
    row.conversionRate,
  ];
  const rows = [
    line("Total", report.totals),
    ...report.byOwner.map((row) => line("Owner", row)),
    ...report.byServiceLine.map((row) => line("Service line", row)),
    ...report.byChannel.map((row) => line("Channel", row)),
  ];
  // Band rows use the same columns: enquiries, wins and conversion; the time columns stay empty.
  for (const basis of ["clock", "working"] as const) {
    const dimension = basis === "clock" ? "Band (clock time)" : "Band (working time)";
    for (const band of report.conversionByBand[basis]) rows.push([dimension, band.label, band.enquiries, null, null, null, null, null, band.won, band.rate]);
  }
  return { header, rows };
}
