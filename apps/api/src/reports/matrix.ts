import { ratio } from "@plumbline/core";
import { sumEnquiryGroups, type Database } from "@plumbline/db";
import { sum } from "./channels";
import type { CsvTable } from "./csv";
import { describeRequest, labelOf, type ReportRequest } from "./filters";

interface Cell {
  enquiries: number;
  wins: number;
  conversionRate: number | null;
}

function cellOf(enquiries: number, wins: number): Cell {
  return { enquiries, wins, conversionRate: ratio(wins, enquiries) };
}

/**
 * Builds the service-line-by-channel matrix of the period's enquiries: one row per service line (null is "No
 * service line"), one column per first-touch channel, each cell with enquiries, wins and conversion, and totals.
 */
export async function buildMatrixReport(db: Database, request: ReportRequest) {
  const groups = await sumEnquiryGroups(db, request.filters);
  const serviceLines = [...new Set(groups.map((group) => group.serviceLine))].sort((a, b) => labelOf(a, "").localeCompare(labelOf(b, "")));
  const channels = [...new Set(groups.map((group) => group.channel))].sort();

  const rows = serviceLines.map((serviceLine) => {
    const inRow = groups.filter((group) => group.serviceLine === serviceLine);
    const cells = channels.map((channel) => {
      const match = inRow.filter((group) => group.channel === channel);
      return cellOf(sum(match.map((group) => group.enquiries)), sum(match.map((group) => group.wins)));
    });
    return { serviceLine, label: labelOf(serviceLine, "No service line"), cells, total: cellOf(sum(inRow.map((group) => group.enquiries)), sum(inRow.map((group) => group.wins))) };
  });
  const columnTotals = channels.map((channel) => {
    const inColumn = groups.filter((group) => group.channel === channel);
    return cellOf(sum(inColumn.map((group) => group.enquiries)), sum(inColumn.map((group) => group.wins)));
  });

  return {
    report: "service-line-by-channel",
    ...describeRequest(request),
    channels: channels.map((channel) => ({ key: channel, label: labelOf(channel, "Unknown") })),
    rows,
    columnTotals,
    total: cellOf(sum(groups.map((group) => group.enquiries)), sum(groups.map((group) => group.wins))),
  };
}

export function matrixReportCsv(report: Awaited<ReturnType<typeof buildMatrixReport>>): CsvTable {
  const header = ["Service line", "Channel", "Enquiries", "Wins", "Conversion rate"];
  const rows: CsvTable["rows"] = [];
  for (const row of report.rows) {
    row.cells.forEach((cell, index) => {
      if (cell.enquiries > 0) rows.push([row.label, report.channels[index]!.label, cell.enquiries, cell.wins, cell.conversionRate]);
    });
    rows.push([row.label, "All channels", row.total.enquiries, row.total.wins, row.total.conversionRate]);
  }
  report.columnTotals.forEach((cell, index) => rows.push(["All service lines", report.channels[index]!.label, cell.enquiries, cell.wins, cell.conversionRate]));
  rows.push(["All service lines", "All channels", report.total.enquiries, report.total.wins, report.total.conversionRate]);
  return { header, rows };
}
