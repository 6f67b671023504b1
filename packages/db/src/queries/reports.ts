import { PIPELINE_AGE_BUCKETS, RESPONSE_BANDS, splitPeriodByMonth, type AttributionModel, type PipelineAgeBucketKey, type ResponseBandKey } from "@plumbline/core";
import { and, asc, between, eq, gt, gte, isNotNull, isNull, lt, lte, min, or, sql, type SQL, type SQLWrapper } from "drizzle-orm";
import type { Database } from "../client";
import { SILENCE_CLOSE_REASON } from "../report-summaries";
import { memberships, opportunities, reportAttribution, reportOpen, reportTotals, users } from "../schema";

/**
 * Report filters. `from` and `to` are local dates ("YYYY-MM-DD", inclusive) in the firm's time zone, compared
 * with the local enquiry date the opportunity was stored with, so no report does time-zone arithmetic in SQL.
 */
export interface ReportFilters {
  firmId: string;
  from: string;
  to: string;
  ownerUserId?: string | undefined;
  serviceLine?: string | undefined;
  channel?: string | undefined;
}

type Dimensions = Omit<ReportFilters, "from" | "to">;

/** Conditions for the filters other than the period, which the open pipeline and seasonality use alone. */
function dimensionFilters(filters: Dimensions): SQL[] {
  const conditions: SQL[] = [eq(opportunities.firmId, filters.firmId)];
  if (filters.ownerUserId) conditions.push(eq(opportunities.ownerUserId, filters.ownerUserId));
  if (filters.serviceLine) conditions.push(eq(opportunities.serviceLine, filters.serviceLine));
  if (filters.channel) conditions.push(eq(opportunities.channel, filters.channel));
  return conditions;
}

/** Builds a SQL CASE that puts a number into the first band whose exclusive upper bound it is under. */
function bandCase(value: SQLWrapper, bands: readonly { key: string; upTo: number | null }[], whenNull: string | null): SQL<string> {
  const chunks: SQL[] = [sql`case`];
  if (whenNull) chunks.push(sql` when ${value} is null then ${whenNull}`);
  const open = bands.find((band) => band.upTo === null)!;
  for (const band of bands) {
    if (band.upTo !== null) chunks.push(sql` when ${value} < ${band.upTo} then ${band.key}`);
  }
  chunks.push(sql` else ${open.key} end`);
  return sql.join(chunks, sql``) as SQL<string>;
}

// ---------------------------------------------------------------------------------------------------------------
// Totals of the period's enquiries, read from report_totals (kept by triggers; see report-summaries.ts)

/** Stored '' stands for a missing service line, owner or campaign, because NULLs never match in a primary key. */
const nullable = (value: string): string | null => (value === "" ? null : value);

/**
 * Selects the period's summary rows: whole months from the `month` grain, the days around them from `day`. A
 * default year of 365 days reads 11 or 12 months and up to two part-months of days, whatever the firm's volume.
 */
function periodOf(table: typeof reportTotals | typeof reportAttribution, firmId: string, from: string, to: string): SQL {
  const parts = splitPeriodByMonth(from, to);
  // The firm in every range, or SQLite reads all the firm's rows instead of one index range per part.
  const range = (grain: "day" | "month", first: string, last: string) => and(eq(table.firmId, firmId), sql`${table.grain} = ${grain}`, between(table.bucket, first, last))!;
  const ranges: SQL[] = parts.days.map(([first, last]) => range("day", first, last));
  if (parts.months) ranges.push(range("month", parts.months[0], parts.months[1]));
  return or(...ranges)!;
}

function totalsFilters(table: typeof reportTotals | typeof reportAttribution | typeof reportOpen, filters: Dimensions, withFirm = true): SQL[] {
  const conditions: SQL[] = withFirm ? [eq(table.firmId, filters.firmId)] : [];
  if (filters.ownerUserId) conditions.push(eq(table.ownerUserId, filters.ownerUserId));
  if (filters.serviceLine) conditions.push(eq(table.serviceLine, filters.serviceLine));
  if (filters.channel) conditions.push(eq(table.channel, filters.channel));
  return conditions;
}

const DAY_MS = 86_400_000;

const total = (column: SQLWrapper) => sql<number>`coalesce(sum(${column}), 0)`.mapWith(Number);

export interface BandTotals {
  enquiries: number;
  wins: number;
}

/** Sums of the period's enquiries sharing a first-touch channel, campaign, service line and owner. */
export interface EnquiryGroup {
  channel: string;
  campaign: string | null;
  serviceLine: string | null;
  ownerUserId: string | null;
  enquiries: number;
  meetings: number;
  wins: number;
  feesWonMinor: number;
  winsWithoutValue: number;
  responded: number;
  clockMinutesTotal: number;
  workingMinutesTotal: number;
  /** First responses within the firm's response target, in working minutes. */
  withinTarget: number;
  evidenceChanges: number;
  manualChanges: number;
  /** Enquiries and wins per timed response band, in RESPONSE_BANDS order without "none". */
  clockBands: BandTotals[];
  workingBands: BandTotals[];
}

const BAND_NUMBERS = [1, 2, 3, 4, 5] as const;
const bandColumn = (basis: "clock" | "working", band: (typeof BAND_NUMBERS)[number], wins: boolean) =>
  reportTotals[`${basis}Band${band}${wins ? "Wins" : ""}` as const];

/**
 * Sums the period's enquiries with the filters, one group per channel, campaign, service line and owner. Every report
 * of enquiries rolls these up, so the cost follows the number of groups and months, not of opportunities.
 */
export async function sumEnquiryGroups(db: Database, filters: ReportFilters): Promise<EnquiryGroup[]> {
  const bandSelection = Object.fromEntries(
    (["clock", "working"] as const).flatMap((basis) =>
      BAND_NUMBERS.flatMap((band) => [
        [`${basis}${band}`, total(bandColumn(basis, band, false))],
        [`${basis}${band}Wins`, total(bandColumn(basis, band, true))],
      ]),
    ),
  ) as Record<string, SQL<number>>;
  const rows = await db
    .select({
      channel: reportTotals.channel,
      campaign: reportTotals.campaign,
      serviceLine: reportTotals.serviceLine,
      ownerUserId: reportTotals.ownerUserId,
      enquiries: total(reportTotals.enquiries),
      meetings: total(reportTotals.meetings),
      wins: total(reportTotals.wins),
      feesWonMinor: total(reportTotals.feesWonMinor),
      winsWithoutValue: total(reportTotals.winsWithoutValue),
      responded: total(reportTotals.responded),
      clockMinutesTotal: total(reportTotals.clockMinutes),
      workingMinutesTotal: total(reportTotals.workingMinutes),
      withinTarget: total(reportTotals.withinTarget),
      evidenceChanges: total(reportTotals.evidenceChanges),
      manualChanges: total(reportTotals.manualChanges),
      ...bandSelection,
    })
    .from(reportTotals)
    .where(and(...totalsFilters(reportTotals, filters, false), periodOf(reportTotals, filters.firmId, filters.from, filters.to)))
    .groupBy(reportTotals.channel, reportTotals.campaign, reportTotals.serviceLine, reportTotals.ownerUserId)
    .having(gt(sql`sum(${reportTotals.enquiries})`, 0));

  return rows.map((row) => {
    const counts = row as unknown as Record<string, number>;
    const bands = (basis: "clock" | "working") => BAND_NUMBERS.map((band) => ({ enquiries: counts[`${basis}${band}`]!, wins: counts[`${basis}${band}Wins`]! }));
    return {
      channel: row.channel,
      campaign: nullable(row.campaign),
      serviceLine: nullable(row.serviceLine),
      ownerUserId: nullable(row.ownerUserId),
      enquiries: row.enquiries,
      meetings: row.meetings,
      wins: row.wins,
      feesWonMinor: row.feesWonMinor,
      winsWithoutValue: row.winsWithoutValue,
      responded: row.responded,
      clockMinutesTotal: row.clockMinutesTotal,
      workingMinutesTotal: row.workingMinutesTotal,
      withinTarget: row.withinTarget,
      evidenceChanges: row.evidenceChanges,
      manualChanges: row.manualChanges,
      clockBands: bands("clock"),
      workingBands: bands("working"),
    };
  });
}

/** Changes made from evidence and by hand to the opportunities of the period, from report_totals. */
export async function countChangeOrigins(db: Database, filters: ReportFilters): Promise<{ evidence: number; manual: number }> {
  const row = await db
    .select({ evidence: total(reportTotals.evidenceChanges), manual: total(reportTotals.manualChanges) })
    .from(reportTotals)
    .where(and(...totalsFilters(reportTotals, filters, false), periodOf(reportTotals, filters.firmId, filters.from, filters.to)))
    .get();
  return row ?? { evidence: 0, manual: 0 };
}

/** Enquiries and wins per response band, "none" being the enquiries without a response (and their wins). */
export function bandsOf(groups: readonly EnquiryGroup[], basis: "clock" | "working"): { band: ResponseBandKey; enquiries: number; wins: number }[] {
  const timed = RESPONSE_BANDS.filter((band) => band.key !== "none");
  const result = timed.map((band, index) => ({
    band: band.key as ResponseBandKey,
    enquiries: sumOf(groups, (group) => (basis === "clock" ? group.clockBands : group.workingBands)[index]!.enquiries),
    wins: sumOf(groups, (group) => (basis === "clock" ? group.clockBands : group.workingBands)[index]!.wins),
  }));
  const enquiries = sumOf(groups, (group) => group.enquiries) - sumOf(result, (band) => band.enquiries);
  const wins = sumOf(groups, (group) => group.wins) - sumOf(result, (band) => band.wins);
  return [...result, { band: "none", enquiries, wins }];
}

function sumOf<T>(items: readonly T[], value: (item: T) => number): number {
  return items.reduce((sum, item) => sum + value(item), 0);
}

/** Fees credited to one touch channel and campaign under one attribution model. */
export interface AttributedFees {
  model: AttributionModel;
  channel: string;
  campaign: string | null;
  minor: number;
}

/**
 * Sums the fees of the period's won enquiries credited to each touch's channel and campaign under each model, split
 * as attributeValue in packages/core splits them. A channel and campaign that some opportunity credits is listed
 * even when its credit is 0.
 */
export async function sumAttributedFees(db: Database, filters: ReportFilters): Promise<AttributedFees[]> {
  const rows = await db
    .select({ model: reportAttribution.model, channel: reportAttribution.touchChannel, campaign: reportAttribution.touchCampaign, minor: total(reportAttribution.attributedMinor) })
    .from(reportAttribution)
    .where(and(...totalsFilters(reportAttribution, filters, false), periodOf(reportAttribution, filters.firmId, filters.from, filters.to)))
    .groupBy(reportAttribution.model, reportAttribution.touchChannel, reportAttribution.touchCampaign)
    .having(gt(sql`sum(${reportAttribution.touches})`, 0));
  return rows.map((row) => ({ model: row.model as AttributionModel, channel: row.channel, campaign: nullable(row.campaign), minor: row.minor }));
}

/** Names of the firm's members by user id, for owner labels. */
export async function findMemberNames(db: Database, firmId: string): Promise<Map<string, string>> {
  const rows = await db
    .select({ id: users.id, name: users.name })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.firmId, firmId));
  return new Map(rows.map((row) => [row.id, row.name]));
}

// ---------------------------------------------------------------------------------------------------------------
// Pipeline health

export interface OpenGroup {
  stage: string;
  ageBucket: PipelineAgeBucketKey;
  open: number;
  stalled: number;
  valueMinor: number;
}

/** Age, in days, from which an open opportunity is in the last band and stays there. */
const OLDEST_BAND_DAYS = PIPELINE_AGE_BUCKETS.findLast((bucket) => bucket.upToDays !== null)!.upToDays!;

/**
 * Counts open opportunities now, by stage and age band. Totals per stage come from report_open. The opportunities
 * younger than the last band's start are read through the partial index on open ones, in order of creation, and
 * the rest of each stage's totals is the last band. The cost follows the recent enquiries and the groups.
 * NOTE: the recent part still reads one index entry per open opportunity of the last 90 days (about 6,000 in
 * bench/reports.mjs), which keeps pipeline-health the slowest report there, near the 300 ms goal under load.
 */
export async function countOpenPipeline(db: Database, filters: Dimensions, now: Date): Promise<OpenGroup[]> {
  const ageDays = sql`(${now.getTime()} - ${opportunities.createdAt}) / 86400000.0`;
  const ageBucket = bandCase(ageDays, PIPELINE_AGE_BUCKETS.map((bucket) => ({ key: bucket.key, upTo: bucket.upToDays })), null);
  const oldestFrom = new Date(now.getTime() - OLDEST_BAND_DAYS * DAY_MS);
  const [totals, recent] = await Promise.all([
    db
      .select({ stage: reportOpen.stage, open: total(reportOpen.open), stalled: total(reportOpen.stalled), valueMinor: total(reportOpen.valueMinor) })
      .from(reportOpen)
      .where(and(...totalsFilters(reportOpen, filters)))
      .groupBy(reportOpen.stage)
      .having(gt(sql`sum(${reportOpen.open})`, 0)),
    // Raw, to name the index: with a GROUP BY on stage SQLite prefers walking every opportunity in stage order.
    db.all<{ stage: string; ageBucket: PipelineAgeBucketKey; open: number; stalled: number; valueMinor: number }>(sql`
      select ${opportunities.stage} as stage, ${ageBucket} as ageBucket, count(*) as open, count(${opportunities.stalledAt}) as stalled,
        coalesce(sum(${opportunities.valueMinor}), 0) as valueMinor
      from ${opportunities} indexed by opportunities_firm_open_created_idx
      where ${and(...dimensionFilters(filters), isNull(opportunities.closedAt), gt(opportunities.createdAt, oldestFrom))}
      group by 1, 2`),
  ]);

  const groups: OpenGroup[] = recent.map((row) => ({ ...row }));
  const oldest = PIPELINE_AGE_BUCKETS.at(-1)!.key;
  for (const stage of totals) {
    const young = groups.filter((group) => group.stage === stage.stage);
    const rest = {
      stage: stage.stage,
      ageBucket: oldest,
      open: stage.open - sumOf(young, (group) => group.open),
      stalled: stage.stalled - sumOf(young, (group) => group.stalled),
      valueMinor: stage.valueMinor - sumOf(young, (group) => group.valueMinor),
    };
    if (rest.open > 0) groups.push(rest);
  }
  return groups;
}

export interface StalledOpportunity {
  id: string;
  reference: string;
  stage: string;
  ownerUserId: string | null;
  stalledAt: Date;
  stalledReason: string | null;
}

/** Lists the open opportunities stalled longest, at most `limit`, with their reasons. */
export async function listStalled(db: Database, filters: Dimensions, limit: number): Promise<StalledOpportunity[]> {
  const rows = await db
    .select({
      id: opportunities.id,
      reference: opportunities.reference,
      stage: opportunities.stage,
      ownerUserId: opportunities.ownerUserId,
      stalledAt: opportunities.stalledAt,
      stalledReason: opportunities.stalledReason,
    })
    .from(opportunities)
    .where(and(...dimensionFilters(filters), isNull(opportunities.closedAt), isNotNull(opportunities.stalledAt)))
    .orderBy(asc(opportunities.stalledAt), asc(opportunities.id))
    .limit(limit);
  return rows.map((row) => ({ ...row, stalledAt: row.stalledAt! }));
}

/** Stalled open opportunities by reason (null when none was recorded), from report_open. */
export async function countStalledByReason(db: Database, filters: Dimensions) {
  const rows = await db
    .select({ reason: reportOpen.stalledReason, stalled: total(reportOpen.stalled) })
    .from(reportOpen)
    .where(and(...totalsFilters(reportOpen, filters)))
    .groupBy(reportOpen.stalledReason)
    .having(gt(sql`sum(${reportOpen.stalled})`, 0))
    .orderBy(asc(reportOpen.stalledReason));
  return rows.map((row) => ({ reason: nullable(row.reason), stalled: row.stalled }));
}

export interface ClosedCounts {
  won: number;
  lost: number;
  /** Lost with the stall sweep's close reason: closed because the prospect went silent. */
  closedForSilence: number;
}

/** Closures between two instants read from the (firm_id, closed_at) index; for the part-days of a period. */
async function countClosedFromIndex(db: Database, filters: Dimensions, closedFrom: Date, closedBefore: Date): Promise<ClosedCounts> {
  const row = await db
    .select({
      won: total(sql`${opportunities.stage} = 'won'`),
      lost: total(sql`${opportunities.stage} = 'lost'`),
      closedForSilence: total(sql`${opportunities.stage} = 'lost' and ${opportunities.closeReason} = ${SILENCE_CLOSE_REASON}`),
    })
    .from(opportunities)
    .where(and(...dimensionFilters(filters), gte(opportunities.closedAt, closedFrom), lt(opportunities.closedAt, closedBefore)))
    .get();
  return row ?? { won: 0, lost: 0, closedForSilence: 0 };
}

/**
 * Opportunities won, lost and closed for silence between two instants. The whole UTC days between them come
 * from report_totals (grain `closed_day`, kept under the UTC date because SQL cannot convert to the firm's zone);
 * the part-days at either end, less than a day each, are counted from the opportunities themselves.
 */
export async function countClosed(db: Database, filters: Dimensions, closedFrom: Date, closedBefore: Date): Promise<ClosedCounts> {
  const firstWholeDay = Math.ceil(closedFrom.getTime() / DAY_MS) * DAY_MS;
  const endOfWholeDays = Math.floor(closedBefore.getTime() / DAY_MS) * DAY_MS;
  if (firstWholeDay >= endOfWholeDays) return countClosedFromIndex(db, filters, closedFrom, closedBefore);

  const utcDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const [whole, before, after] = await Promise.all([
    db
      .select({ won: total(reportTotals.closedWon), lost: total(reportTotals.closedLost), closedForSilence: total(reportTotals.closedForSilence) })
      .from(reportTotals)
      .where(
        and(
          ...totalsFilters(reportTotals, filters),
          eq(reportTotals.grain, "closed_day"),
          between(reportTotals.bucket, utcDate(firstWholeDay), utcDate(endOfWholeDays - DAY_MS)),
        ),
      )
      .get(),
    countClosedFromIndex(db, filters, closedFrom, new Date(firstWholeDay)),
    countClosedFromIndex(db, filters, new Date(endOfWholeDays), closedBefore),
  ]);
  const parts = [whole ?? { won: 0, lost: 0, closedForSilence: 0 }, before, after];
  return { won: sumOf(parts, (part) => part.won), lost: sumOf(parts, (part) => part.lost), closedForSilence: sumOf(parts, (part) => part.closedForSilence) };
}

// ---------------------------------------------------------------------------------------------------------------
// Seasonality

/**
 * Enquiries per local date over the firm's whole history (seasonality compares with earlier years), with the
 * filters other than the period. Without filters it reads one `firm_day` row per day; with them, the `day` rows.
 */
export async function countEnquiriesByDate(db: Database, filters: Dimensions, until: string) {
  const filtered = Boolean(filters.ownerUserId || filters.serviceLine || filters.channel);
  const enquiries = total(reportTotals.enquiries);
  return db
    .select({ date: reportTotals.bucket, enquiries })
    .from(reportTotals)
    .where(and(...totalsFilters(reportTotals, filters), eq(reportTotals.grain, filtered ? "day" : "firm_day"), lte(reportTotals.bucket, until)))
    .groupBy(reportTotals.bucket)
    .having(gt(sql`sum(${reportTotals.enquiries})`, 0));
}

/** Finds the local date of the firm's first recorded enquiry, or null before the first. */
export async function findFirstEnquiryDate(db: Database, firmId: string): Promise<string | null> {
  const row = await db.select({ first: min(opportunities.enquiryDate) }).from(opportunities).where(eq(opportunities.firmId, firmId)).get();
  return row?.first ?? null;
}
