import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { firmId } from "./columns";
import { firms } from "./tenancy";

/**
 * Grains of report_totals. `day` and `month` hold each enquiry under its local enquiry date (or month) and its
 * channel, campaign, service line and owner, so a period adds whole months and at most two part-months of days.
 * `firm_day` contains the same per day with every dimension '', so seasonality without filters reads one row a day.
 * `closed_day` counts closures under the UTC date of closed_at, with the dimensions, for the pipeline report.
 */
export const REPORT_TOTAL_GRAINS = ["day", "month", "firm_day", "closed_day"] as const;
export type ReportTotalGrain = (typeof REPORT_TOTAL_GRAINS)[number];

/** Timed response bands, in the order of RESPONSE_BANDS without "none": columns clock_band_1 … working_band_5. */
export const REPORT_BAND_COUNT = 5;

const count = (name: string) => integer(name).notNull().default(0);

function bandColumns(basis: "clock" | "working") {
  const columns: Record<string, ReturnType<typeof count>> = {};
  for (let band = 1; band <= REPORT_BAND_COUNT; band++) {
    columns[`${basis}Band${band}`] = count(`${basis}_band_${band}`);
    columns[`${basis}Band${band}Wins`] = count(`${basis}_band_${band}_wins`);
  }
  return columns as Record<`${typeof basis}Band${1 | 2 | 3 | 4 | 5}` | `${typeof basis}Band${1 | 2 | 3 | 4 | 5}Wins`, ReturnType<typeof count>>;
}

/**
 * Sums of opportunity facts the reports read. Triggers on opportunities, opportunity_touches and firms keep them,
 * so every write of a fact changes its totals in the same statement. The migration that creates this table
 * installs the triggers, written by packages/db/src/report-summaries.ts. A dimension the opportunity lacks is
 * stored as '' because NULLs never conflict in a primary key. Rows whose counts fall to 0 stay; readers skip them.
 */
export const reportTotals = sqliteTable(
  "report_totals",
  {
    firmId: firmId().references(() => firms.id),
    grain: text("grain", { enum: REPORT_TOTAL_GRAINS }).notNull(),
    /** "YYYY-MM-DD" for the day grains, "YYYY-MM" for `month`. */
    bucket: text("bucket").notNull(),
    channel: text("channel").notNull(),
    campaign: text("campaign").notNull(),
    serviceLine: text("service_line").notNull(),
    ownerUserId: text("owner_user_id").notNull(),
    enquiries: count("enquiries"),
    meetings: count("meetings"),
    wins: count("wins"),
    feesWonMinor: count("fees_won_minor"),
    winsWithoutValue: count("wins_without_value"),
    responded: count("responded"),
    clockMinutes: count("clock_minutes"),
    workingMinutes: count("working_minutes"),
    /** First responses within the firm's current response target, in working minutes. */
    withinTarget: count("within_target"),
    evidenceChanges: count("evidence_changes"),
    manualChanges: count("manual_changes"),
    ...bandColumns("clock"),
    ...bandColumns("working"),
    closedWon: count("closed_won"),
    closedLost: count("closed_lost"),
    closedForSilence: count("closed_for_silence"),
  },
  (table) => [primaryKey({ columns: [table.firmId, table.grain, table.bucket, table.channel, table.campaign, table.serviceLine, table.ownerUserId] })],
);

export const ATTRIBUTION_GRAINS = ["day", "month"] as const;

/**
 * Fees of won opportunities credited to each touch's channel and campaign under each attribution model, by the
 * opportunity's enquiry date (or month), first-touch channel, service line and owner, which the filters use.
 * `touches` counts the credited touches, so a row whose opportunities were all taken away again reads 0.
 */
export const reportAttribution = sqliteTable(
  "report_attribution",
  {
    firmId: firmId().references(() => firms.id),
    grain: text("grain", { enum: ATTRIBUTION_GRAINS }).notNull(),
    bucket: text("bucket").notNull(),
    channel: text("channel").notNull(),
    serviceLine: text("service_line").notNull(),
    ownerUserId: text("owner_user_id").notNull(),
    model: text("model").notNull(),
    touchChannel: text("touch_channel").notNull(),
    touchCampaign: text("touch_campaign").notNull(),
    attributedMinor: count("attributed_minor"),
    touches: count("touches"),
  },
  (table) => [
    primaryKey({
      columns: [table.firmId, table.grain, table.bucket, table.channel, table.serviceLine, table.ownerUserId, table.model, table.touchChannel, table.touchCampaign],
    }),
  ],
);

/**
 * Open opportunities now, by stage, first-touch channel, service line, owner and stall reason ('' when not
 * stalled), kept by the same triggers as report_totals. The pipeline report takes its totals from here and
 * reads only the recent opportunities, whose age band still changes with the clock, one by one.
 */
export const reportOpen = sqliteTable(
  "report_open",
  {
    firmId: firmId().references(() => firms.id),
    stage: text("stage").notNull(),
    channel: text("channel").notNull(),
    serviceLine: text("service_line").notNull(),
    ownerUserId: text("owner_user_id").notNull(),
    stalledReason: text("stalled_reason").notNull(),
    open: count("open"),
    stalled: count("stalled"),
    valueMinor: count("value_minor"),
  },
  (table) => [primaryKey({ columns: [table.firmId, table.stage, table.channel, table.serviceLine, table.ownerUserId, table.stalledReason] })],
);
