import type { SeasonalPeriod } from "@plumbline/core";

/** The report routes of the API, `GET /v1/reports/{slug}`, in the order the page shows them. */
export const REPORTS = [
  { slug: "channels-to-revenue", title: "Channels to revenue" },
  { slug: "speed-to-lead", title: "Speed to lead" },
  { slug: "pipeline-health", title: "Pipeline health" },
  { slug: "service-line-by-channel", title: "Service line by channel" },
  { slug: "seasonality", title: "Seasonality" },
] as const;

export type ReportSlug = (typeof REPORTS)[number]["slug"];

export function isReportSlug(value: string): value is ReportSlug {
  return REPORTS.some((report) => report.slug === value);
}

/** Query parameters every report takes besides `format`; the page's filter form uses the same names. */
export const REPORT_FILTER_NAMES = ["from", "to", "owner", "serviceLine", "channel"] as const;

export type ReportFilterName = (typeof REPORT_FILTER_NAMES)[number];
export type ReportFilters = Record<ReportFilterName, string>;

/** The API rejects longer filter values, so longer input is cut rather than sent. */
const FILTER_MAX_LENGTH = 100;

/** Reads the report filters from a URL; a missing or blank parameter is "". */
export function readReportFilters(url: URL): ReportFilters {
  const read = (name: ReportFilterName) => (url.searchParams.get(name) ?? "").trim().slice(0, FILTER_MAX_LENGTH);
  return { from: read("from"), to: read("to"), owner: read("owner"), serviceLine: read("serviceLine"), channel: read("channel") };
}

/** Builds the query string of the filters that are set, without a leading "?". */
export function reportQuery(filters: Partial<ReportFilters>): string {
  const entries = REPORT_FILTER_NAMES.flatMap((name) => (filters[name] ? [[name, filters[name]] as [string, string]] : []));
  return new URLSearchParams(entries).toString();
}

/** Data for one chart, as every report returns it: category labels and one series of values per key. */
export interface ChartData {
  labels: string[];
  keys: string[];
  series: Array<{ key: string; label: string; values: Array<number | null> }>;
}

interface ReportHeader {
  report: ReportSlug;
  period: { from: string; to: string; label: string; timeZone: string };
  filters: { owner: string | null; serviceLine: string | null; channel: string | null };
}

export interface ChannelsReport extends ReportHeader {
  currency: string;
  totals: { enquiries: number; meetings: number; wins: number; feesWonMinor: number; winsWithoutValue: number };
  rows: Array<{
    channel: string;
    channelLabel: string;
    campaign: string | null;
    enquiries: number;
    meetings: number;
    wins: number;
    conversionRate: number | null;
    feesWonMinor: number;
    attributedMinor: { first_touch: number; last_touch: number; linear: number };
  }>;
  chart: ChartData;
}

export interface ResponseSummary {
  key: string | null;
  label: string;
  enquiries: number;
  responded: number;
  meanClockHours: number | null;
  meanWorkingHours: number | null;
  withinTarget: number;
  shareWithinTarget: number | null;
  wins: number;
  conversionRate: number | null;
}

export interface BandConversion {
  band: string;
  label: string;
  enquiries: number;
  won: number;
  rate: number | null;
}

export interface SpeedReport extends ReportHeader {
  targetWorkingMinutes: number;
  totals: ResponseSummary;
  byOwner: ResponseSummary[];
  byServiceLine: ResponseSummary[];
  byChannel: ResponseSummary[];
  conversionByBand: { clock: BandConversion[]; working: BandConversion[] };
  chart: ChartData;
}

export interface PipelineReport extends ReportHeader {
  asOf: string;
  currency: string;
  ageBuckets: Array<{ key: string; label: string }>;
  open: {
    total: number;
    valueMinor: number;
    byStage: Array<{ stage: string; label: string; open: number; stalled: number; valueMinor: number; byAge: Record<string, number> }>;
  };
  stalled: {
    total: number;
    byReason: Array<{ reason: string; stalled: number }>;
    longest: Array<{ id: string; reference: string; stage: string; owner: string; stalledAt: string; reason: string | null }>;
  };
  closedInPeriod: { won: number; lost: number; closedForSilence: number };
  dataOrigin: { evidenceChanges: number; manualChanges: number; evidenceShare: number | null };
  chart: ChartData;
}

export interface MatrixCell {
  enquiries: number;
  wins: number;
  conversionRate: number | null;
}

export interface MatrixReport extends ReportHeader {
  channels: Array<{ key: string; label: string }>;
  rows: Array<{ serviceLine: string | null; label: string; cells: MatrixCell[]; total: MatrixCell }>;
  columnTotals: MatrixCell[];
  total: MatrixCell;
}

export interface SeasonalChart extends ChartData {
  unusual: Array<"high" | "low" | null>;
}

export interface SeasonalityReport extends ReportHeader {
  historyStart: string | null;
  rule: string;
  weeks: SeasonalPeriod[];
  months: SeasonalPeriod[];
  charts: { weeks: SeasonalChart; months: SeasonalChart };
}

export interface Reports {
  "channels-to-revenue": ChannelsReport;
  "speed-to-lead": SpeedReport;
  "pipeline-health": PipelineReport;
  "service-line-by-channel": MatrixReport;
  seasonality: SeasonalityReport;
}

const LOCALE = "en-GB";
const countFormat = new Intl.NumberFormat(LOCALE);
const percentFormat = new Intl.NumberFormat(LOCALE, { style: "percent", maximumFractionDigits: 1 });
const hoursFormat = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 1 });

export function formatCount(value: number | null | undefined): string {
  return value === null || value === undefined ? "–" : countFormat.format(value);
}

/** Formats a fraction such as 0.3333 as "33.3%"; null (no enquiries under it) as an en dash. */
export function formatRate(value: number | null | undefined): string {
  return value === null || value === undefined ? "–" : percentFormat.format(value);
}

/** Formats hours such as 2.25 as "2.3 h"; null (no reply yet) as an en dash. */
export function formatHours(value: number | null | undefined): string {
  return value === null || value === undefined ? "–" : `${hoursFormat.format(value)} h`;
}

/** Tells whether any series has a value above zero, that is whether its chart would draw a single mark. */
export function hasMarks(series: ChartData["series"]): boolean {
  return series.some((entry) => entry.values.some((value) => value !== null && value > 0));
}
