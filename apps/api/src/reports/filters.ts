import { addDays, dayNumberOf, formatDateLabel, isLocalDate, localDateOf, zonedTimeToInstant } from "@plumbline/core";
import type { ReportFilters } from "@plumbline/db";
import { z } from "zod";
import { parseQuery } from "../routes/list-query";
import { ApiError } from "../errors";

/** Maximum period of one report: five years, which bounds the weeks a seasonality report lists. */
export const MAX_PERIOD_DAYS = 5 * 366;
/** Default period when none is given: the 365 days up to and including today in the firm's time zone. */
const DEFAULT_PERIOD_DAYS = 365;

const DATE_MESSAGE = "must be a date written YYYY-MM-DD";
const localDate = z.string({ error: DATE_MESSAGE }).refine(isLocalDate, DATE_MESSAGE);
const text = z.string().trim().min(1, "must not be empty").max(100, "must be at most 100 characters");

/** Query parameters every report takes. */
const reportQuerySchema = z.object({
  from: localDate.optional(),
  to: localDate.optional(),
  owner: text.optional(),
  serviceLine: text.optional(),
  channel: text.optional(),
  format: z.enum(["json", "csv"], { error: "must be json or csv" }).optional(),
});

export interface ReportRequest {
  filters: ReportFilters;
  format: "json" | "csv";
  /** First instant of `from` and first instant after `to`, in the firm's time zone. */
  startsAt: Date;
  endsBefore: Date;
  timeZone: string;
}

/**
 * Reads the report filters from the query string, with the period defaulting to the last 365 days in the firm's
 * time zone. Throws a 400 ApiError naming the parameter for a bad date, a period that runs backwards or is longer
 * than MAX_PERIOD_DAYS, or an unknown format. CSV is chosen by `format=csv` or by an Accept header that lists
 * text/csv and not JSON.
 */
export function readReportRequest(query: Record<string, string>, accept: string | undefined, firm: { id: string; timeZone: string }, now: Date): ReportRequest {
  const parsed = parseQuery(reportQuerySchema, query);
  const today = localDateOf(now, firm.timeZone);
  const to = parsed.to ?? (parsed.from ? addDays(parsed.from, DEFAULT_PERIOD_DAYS - 1) : today);
  const from = parsed.from ?? addDays(to, -(DEFAULT_PERIOD_DAYS - 1));
  if (from > to) throw new ApiError("invalid_request", `Query parameter from (${from}) must be on or before to (${to}).`, { field: "from" });
  if (dayNumberOf(to) - dayNumberOf(from) + 1 > MAX_PERIOD_DAYS) {
    throw new ApiError("invalid_request", `Query parameter to must be at most ${MAX_PERIOD_DAYS} days after from; ask for a shorter period.`, { field: "to" });
  }

  const wantsCsv = /\btext\/csv\b/i.test(accept ?? "") && !/\bapplication\/json\b/i.test(accept ?? "");
  return {
    filters: { firmId: firm.id, from, to, ownerUserId: parsed.owner, serviceLine: parsed.serviceLine, channel: parsed.channel },
    format: parsed.format ?? (wantsCsv ? "csv" : "json"),
    startsAt: startOfLocalDate(from, firm.timeZone),
    endsBefore: startOfLocalDate(addDays(to, 1), firm.timeZone),
    timeZone: firm.timeZone,
  };
}

function startOfLocalDate(date: string, timeZone: string): Date {
  const [year, month, day] = date.split("-").map(Number) as [number, number, number];
  return zonedTimeToInstant({ year, month, day, hour: 0, minute: 0 }, timeZone);
}

/** Returns the period and filters in the form every report repeats them. */
export function describeRequest(request: ReportRequest) {
  const { from, to, ownerUserId, serviceLine, channel } = request.filters;
  return {
    period: { from, to, label: `${formatDateLabel(from)} to ${formatDateLabel(to)}`, timeZone: request.timeZone },
    filters: { owner: ownerUserId ?? null, serviceLine: serviceLine ?? null, channel: channel ?? null },
  };
}

/** Turns a key such as "paid_search" into a label such as "Paid search"; null becomes `empty`. */
export function labelOf(key: string | null, empty: string): string {
  if (key === null || key === "") return empty;
  const words = key.replace(/[_-]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
