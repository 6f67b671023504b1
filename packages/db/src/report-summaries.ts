import { RESPONSE_BANDS } from "@plumbline/core";
import { REPORT_BAND_COUNT } from "./schema/reports";

/**
 * SQL that keeps report_totals, report_attribution and report_open equal to a sum over opportunities and their touches.
 *
 * Triggers, not query functions, do the upkeep. The facts the reports read are the enquiry date, channel, campaign,
 * service line, owner, stage, value, first meeting, first response, evidence and manual counters, closure and stall.
 * A statement that writes one of them changes the totals inside the same statement, whichever code path ran it.
 * An update takes the row's old contribution away and adds its new one, so an event processed twice, whose write
 * changes nothing, leaves the totals as they were. The same expressions rebuild the totals from scratch.
 *
 * The migration that creates the tables carries triggerStatements() and rebuildStatements() as text (see
 * scripts/report-summaries-sql.ts); test/db/report-summaries.test.ts checks the installed triggers match.
 */

/** Close reason the stall sweep writes when it closes an opportunity for the prospect's silence. */
export const SILENCE_CLOSE_REASON = "no response";

const FACT_COLUMNS = [
  "firm_id",
  "id",
  "enquiry_date",
  "channel",
  "utm_campaign",
  "service_line",
  "owner_user_id",
  "stage",
  "value_minor",
  "first_meeting_at",
  "first_response_minutes",
  "first_response_working_minutes",
  "evidence_changes",
  "manual_changes",
  "closed_at",
  "close_reason",
] as const;

/** Further columns of an open opportunity that report_open reads. */
const OPEN_COLUMNS = ["firm_id", "stage", "channel", "service_line", "owner_user_id", "value_minor", "closed_at", "stalled_at", "stalled_reason"] as const;

/** Columns whose change can change an opportunity's credits. The others only move report_totals and report_open. */
const ATTRIBUTION_COLUMNS = ["firm_id", "enquiry_date", "channel", "utm_campaign", "service_line", "owner_user_id", "stage", "value_minor"] as const;

const TOTAL_KEY = ["firm_id", "grain", "bucket", "channel", "campaign", "service_line", "owner_user_id"];
const ATTRIBUTION_KEY = ["firm_id", "grain", "bucket", "channel", "service_line", "owner_user_id", "model", "touch_channel", "touch_campaign"];

const TIMED_BANDS = RESPONSE_BANDS.filter((band) => band.key !== "none");
if (TIMED_BANDS.length !== REPORT_BAND_COUNT) throw new Error(`report_totals has ${REPORT_BAND_COUNT} band columns but RESPONSE_BANDS has ${TIMED_BANDS.length} timed bands`);

/** Builds the test that `minutes` is at or over the previous band's bound and under this band's. */
function inBand(minutes: string, index: number): string {
  const lower = index === 0 ? null : TIMED_BANDS[index - 1]!.upToMinutes;
  const upper = TIMED_BANDS[index]!.upToMinutes;
  const tests = [`${minutes} IS NOT NULL`];
  if (lower !== null) tests.push(`${minutes} >= ${lower}`);
  if (upper !== null) tests.push(`${minutes} < ${upper}`);
  return `(${tests.join(" AND ")})`;
}

/** Report_totals columns with their per-opportunity value over the fact row `r`, which the grain `g` decides. */
function totalMetrics(): [string, string][] {
  const won = "(r.stage = 'won')";
  const metrics: [string, string][] = [
    ["enquiries", "1"],
    ["meetings", "(r.first_meeting_at IS NOT NULL)"],
    ["wins", won],
    ["fees_won_minor", `(CASE WHEN ${won} THEN coalesce(r.value_minor, 0) ELSE 0 END)`],
    ["wins_without_value", `(${won} AND r.value_minor IS NULL)`],
    ["responded", "(r.first_response_minutes IS NOT NULL)"],
    ["clock_minutes", "coalesce(r.first_response_minutes, 0)"],
    ["working_minutes", "coalesce(r.first_response_working_minutes, 0)"],
    ["within_target", "(r.first_response_working_minutes IS NOT NULL AND r.first_response_working_minutes <= (SELECT f.response_target_minutes FROM firms f WHERE f.id = r.firm_id))"],
    ["evidence_changes", "r.evidence_changes"],
    ["manual_changes", "r.manual_changes"],
  ];
  for (const basis of ["clock", "working"] as const) {
    const minutes = basis === "clock" ? "r.first_response_minutes" : "r.first_response_working_minutes";
    TIMED_BANDS.forEach((_, index) => {
      metrics.push([`${basis}_band_${index + 1}`, inBand(minutes, index)]);
      metrics.push([`${basis}_band_${index + 1}_wins`, `(${inBand(minutes, index)} AND ${won})`]);
    });
  }
  const enquiryMetrics: [string, string][] = metrics.map(([column, value]) => [column, `CASE WHEN g.grain = 'closed_day' THEN 0 ELSE ${value} END`]);
  const closed = "g.grain = 'closed_day'";
  return [
    ...enquiryMetrics,
    ["closed_won", `(${closed} AND ${won})`],
    ["closed_lost", `(${closed} AND r.stage = 'lost')`],
    ["closed_for_silence", `(${closed} AND r.stage = 'lost' AND r.close_reason = '${SILENCE_CLOSE_REASON}')`],
  ];
}

/** Builds a SELECT of the fact columns from `alias` (NEW, OLD or a table alias), with `sign` +1 or −1. */
function factRow(alias: string, sign: 1 | -1): string {
  const columns = [...new Set([...FACT_COLUMNS, ...OPEN_COLUMNS])];
  return `SELECT ${sign} AS sign, ${columns.map((column) => `${alias}.${column} AS ${column}`).join(", ")}`;
}

const GRAINS = "(SELECT 'day' AS grain UNION ALL SELECT 'month' UNION ALL SELECT 'firm_day' UNION ALL SELECT 'closed_day')";
const ATTRIBUTION_GRAINS = "(SELECT 'day' AS grain UNION ALL SELECT 'month')";
const MODELS = "(SELECT 'first_touch' AS model UNION ALL SELECT 'last_touch' UNION ALL SELECT 'linear')";

function upsert(key: string[], columns: string[]): string {
  return `ON CONFLICT (${key.join(", ")}) DO UPDATE SET ${columns.map((column) => `${column} = ${column} + excluded.${column}`).join(", ")}`;
}

/** Adds the signed contributions of the fact rows `source` (a subquery with a `sign` column) to report_totals. */
function totalsInsert(source: string): string {
  const metrics = totalMetrics();
  const dimension = (expression: string) => `CASE WHEN g.grain = 'firm_day' THEN '' ELSE coalesce(${expression}, '') END`;
  return [
    `INSERT INTO report_totals (${[...TOTAL_KEY, ...metrics.map(([column]) => column)].join(", ")})`,
    `SELECT r.firm_id, g.grain,`,
    `CASE g.grain WHEN 'month' THEN substr(r.enquiry_date, 1, 7) WHEN 'closed_day' THEN date(r.closed_at / 1000, 'unixepoch') ELSE r.enquiry_date END,`,
    `${dimension("r.channel")}, ${dimension("r.utm_campaign")}, ${dimension("r.service_line")}, ${dimension("r.owner_user_id")},`,
    // A comparison with NULL is NULL, which a NOT NULL count column rejects.
    metrics.map(([, value]) => `sum(r.sign * coalesce(${value}, 0))`).join(", "),
    `FROM (${source}) AS r JOIN ${GRAINS} AS g`,
    `ON (g.grain = 'closed_day' AND r.closed_at IS NOT NULL) OR (g.grain <> 'closed_day' AND r.enquiry_date IS NOT NULL)`,
    `WHERE true GROUP BY 1, 2, 3, 4, 5, 6, 7`,
    upsert(TOTAL_KEY, metrics.map(([column]) => column)),
  ].join("\n");
}

/** Adds the signed contributions of the open fact rows `source` to report_open. */
function openInsert(source: string): string {
  const sums = ["sum(r.sign)", "sum(r.sign * (r.stalled_at IS NOT NULL))", "sum(r.sign * coalesce(r.value_minor, 0))"];
  const key = ["firm_id", "stage", "channel", "service_line", "owner_user_id", "stalled_reason"];
  return [
    `INSERT INTO report_open (${[...key, "open", "stalled", "value_minor"].join(", ")})`,
    `SELECT r.firm_id, r.stage, r.channel, coalesce(r.service_line, ''), coalesce(r.owner_user_id, ''),`,
    `CASE WHEN r.stalled_at IS NULL THEN '' ELSE coalesce(r.stalled_reason, '') END, ${sums.join(", ")}`,
    `FROM (${source}) AS r WHERE r.closed_at IS NULL`,
    `GROUP BY 1, 2, 3, 4, 5, 6 HAVING ${sums.map((sum) => `${sum} <> 0`).join(" OR ")}`,
    upsert(key, ["open", "stalled", "value_minor"]),
  ].join("\n");
}

/** Touches in attribution order: a visit clamped to the enquiry's time still comes before it. */
const TOUCH_ORDER = "ORDER BY occurred_at, CASE kind WHEN 'visit' THEN 0 WHEN 'enquiry' THEN 1 ELSE 2 END, id";

/** Touches of one opportunity (`opportunity` an SQL expression), numbered, leaving out the touch `without`. */
function touchesOf(firm: string, opportunity: string, without?: string): string {
  return [
    `SELECT channel, coalesce(campaign, '') AS campaign, row_number() OVER (${TOUCH_ORDER}) AS pos, count(*) OVER () AS n`,
    `FROM opportunity_touches WHERE firm_id = ${firm} AND opportunity_id = ${opportunity}${without ? ` AND id <> ${without}` : ""}`,
  ].join(" ");
}

/**
 * Adds the signed credits of the won fact rows `source` to report_attribution. Each value is split over the
 * touches `touches` (joined on `on`) as attributeValue in packages/core splits it. An opportunity without touches
 * credits all of it to its own channel and campaign.
 */
function attributionInsert(source: string, touches: string, on: string): string {
  const pos = "coalesce(t.pos, 1)";
  const n = "coalesce(t.n, 1)";
  const credit = `CASE m.model WHEN 'first_touch' THEN (CASE WHEN ${pos} = 1 THEN r.value_minor ELSE 0 END) WHEN 'last_touch' THEN (CASE WHEN ${pos} = ${n} THEN r.value_minor ELSE 0 END) ELSE r.value_minor / ${n} + (${pos} <= r.value_minor % ${n}) END`;
  const credited = `CASE m.model WHEN 'first_touch' THEN (${pos} = 1) WHEN 'last_touch' THEN (${pos} = ${n}) ELSE 1 END`;
  return [
    `INSERT INTO report_attribution (${[...ATTRIBUTION_KEY, "attributed_minor", "touches"].join(", ")})`,
    `SELECT r.firm_id, g.grain, CASE g.grain WHEN 'month' THEN substr(r.enquiry_date, 1, 7) ELSE r.enquiry_date END,`,
    `r.channel, coalesce(r.service_line, ''), coalesce(r.owner_user_id, ''), m.model,`,
    `coalesce(t.channel, r.channel), CASE WHEN t.channel IS NULL THEN coalesce(r.utm_campaign, '') ELSE t.campaign END,`,
    `sum(r.sign * (${credit})), sum(r.sign * (${credited}))`,
    `FROM (${source}) AS r LEFT JOIN (${touches}) AS t ON ${on} JOIN ${ATTRIBUTION_GRAINS} AS g JOIN ${MODELS} AS m`,
    `WHERE r.stage = 'won' AND r.value_minor IS NOT NULL AND r.enquiry_date IS NOT NULL`,
    `GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9 HAVING sum(r.sign * (${credit})) <> 0 OR sum(r.sign * (${credited})) <> 0`,
    upsert(ATTRIBUTION_KEY, ["attributed_minor", "touches"]),
  ].join("\n");
}

function changed(columns: readonly string[]): string {
  return columns.map((column) => `OLD.${column} IS NOT NEW.${column}`).join(" OR ");
}

function trigger(name: string, event: string, when: string | null, body: string[]): string {
  return `CREATE TRIGGER ${name} ${event}${when ? ` WHEN ${when}` : ""} BEGIN\n${body.map((statement) => `${statement};`).join("\n")}\nEND`;
}

/** Builds the CREATE TRIGGER statements that keep the report summaries, in the order the migration runs them. */
export function triggerStatements(): string[] {
  const oldAndNew = `${factRow("OLD", -1)} UNION ALL ${factRow("NEW", 1)}`;
  const current = (sign: 1 | -1) => `${factRow("o", sign)} FROM opportunities AS o WHERE o.id = NEW.opportunity_id AND o.firm_id = NEW.firm_id`;
  return [
    trigger("report_summaries_opportunity_insert", "AFTER INSERT ON opportunities", null, [
      totalsInsert(factRow("NEW", 1)),
      openInsert(factRow("NEW", 1)),
      attributionInsert(factRow("NEW", 1), touchesOf("NEW.firm_id", "NEW.id"), "true"),
    ]),
    trigger("report_totals_opportunity_update", `AFTER UPDATE OF ${FACT_COLUMNS.join(", ")} ON opportunities`, changed(FACT_COLUMNS), [totalsInsert(oldAndNew)]),
    trigger("report_open_opportunity_update", `AFTER UPDATE OF ${OPEN_COLUMNS.join(", ")} ON opportunities`, changed(OPEN_COLUMNS), [openInsert(oldAndNew)]),
    trigger("report_attribution_opportunity_update", `AFTER UPDATE OF ${ATTRIBUTION_COLUMNS.join(", ")} ON opportunities`, changed(ATTRIBUTION_COLUMNS), [
      attributionInsert(oldAndNew, touchesOf("NEW.firm_id", "NEW.id"), "true"),
    ]),
    // A new touch changes the split of a won value: take away the split without it, add the split with it.
    trigger("report_attribution_touch_insert", "AFTER INSERT ON opportunity_touches", null, [
      attributionInsert(current(-1), touchesOf("NEW.firm_id", "NEW.opportunity_id", "NEW.id"), "true"),
      attributionInsert(current(1), touchesOf("NEW.firm_id", "NEW.opportunity_id"), "true"),
    ]),
    // Within-target counts depend on the firm's target, so a new target recounts that firm's totals.
    trigger(
      "report_totals_target_update",
      "AFTER UPDATE OF response_target_minutes ON firms",
      "OLD.response_target_minutes IS NOT NEW.response_target_minutes",
      ["DELETE FROM report_totals WHERE firm_id = NEW.id", totalsInsert(`${factRow("o", 1)} FROM opportunities AS o WHERE o.firm_id = NEW.id`)],
    ),
  ];
}

/** Builds the statements that empty the report summaries and recompute them from opportunities and their touches. */
export function rebuildStatements(): string[] {
  const allTouches = [
    `SELECT firm_id, opportunity_id, channel, coalesce(campaign, '') AS campaign,`,
    `row_number() OVER (PARTITION BY firm_id, opportunity_id ${TOUCH_ORDER}) AS pos, count(*) OVER (PARTITION BY firm_id, opportunity_id) AS n`,
    `FROM opportunity_touches`,
  ].join(" ");
  return [
    "DELETE FROM report_totals",
    "DELETE FROM report_attribution",
    "DELETE FROM report_open",
    totalsInsert(`${factRow("o", 1)} FROM opportunities AS o`),
    openInsert(`${factRow("o", 1)} FROM opportunities AS o`),
    attributionInsert(`${factRow("o", 1)} FROM opportunities AS o`, allTouches, "t.firm_id = r.firm_id AND t.opportunity_id = r.id"),
  ];
}
