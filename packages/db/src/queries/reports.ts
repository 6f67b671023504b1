import { PIPELINE_AGE_BUCKETS, RESPONSE_BANDS, type PipelineAgeBucketKey, type ResponseBandKey } from "@plumbline/core";
import { and, asc, between, count, eq, gte, isNotNull, isNull, lt, min, sql, type SQL, type SQLWrapper } from "drizzle-orm";
import type { Database } from "../client";
import { memberships, opportunities, opportunityTouches, users } from "../schema";

/**
 * Report filters. `from` and `to` are local dates ("YYYY-MM-DD", inclusive) in the firm's time zone, compared
 * with opportunities.enquiry_date, so a report reads only the opportunities of its period through the
 * (firm_id, enquiry_date) index and never the timeline.
 */
export interface ReportFilters {
  firmId: string;
  from: string;
  to: string;
  ownerUserId?: string | undefined;
  serviceLine?: string | undefined;
  channel?: string | undefined;
}

/** Conditions for the filters other than the period, which the open pipeline and seasonality use alone. */
function dimensionFilters(filters: Omit<ReportFilters, "from" | "to">): SQL[] {
  const conditions: SQL[] = [eq(opportunities.firmId, filters.firmId)];
  if (filters.ownerUserId) conditions.push(eq(opportunities.ownerUserId, filters.ownerUserId));
  if (filters.serviceLine) conditions.push(eq(opportunities.serviceLine, filters.serviceLine));
  if (filters.channel) conditions.push(eq(opportunities.channel, filters.channel));
  return conditions;
}

/**
 * Selects the enquiries of the period: opportunities whose enquiry date is in it, with the other filters.
 * NOTE: reports over this read one index entry per enquiry of the period, so their time grows with the firm's
 * volume (p95 above 300 ms at 100,000 opportunities in bench/reports.mjs). Per-day totals kept as events arrive
 * would bound it.
 */
function cohort(filters: ReportFilters): SQL {
  return and(...dimensionFilters(filters), between(opportunities.enquiryDate, filters.from, filters.to))!;
}

const isWon = sql`${opportunities.stage} = 'won'`;
const wonCount = sql<number>`coalesce(sum(case when ${isWon} then 1 else 0 end), 0)`.mapWith(Number);

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

const TIMED_BANDS = RESPONSE_BANDS.filter((band) => band.key !== "none").map((band) => ({ key: band.key, upTo: band.upToMinutes }));

// ---------------------------------------------------------------------------------------------------------------
// Channels to revenue

export interface ChannelCampaignCounts {
  channel: string;
  campaign: string | null;
  enquiries: number;
  meetings: number;
  wins: number;
  feesWonMinor: number;
  winsWithoutValue: number;
}

/** Enquiries, meetings, wins and fees won of the period, by first-touch channel and campaign. */
export async function countByChannelAndCampaign(db: Database, filters: ReportFilters): Promise<ChannelCampaignCounts[]> {
  return db
    .select({
      channel: opportunities.channel,
      campaign: opportunities.utmCampaign,
      enquiries: count(),
      meetings: count(opportunities.firstMeetingAt),
      wins: wonCount,
      feesWonMinor: sql<number>`coalesce(sum(case when ${isWon} then coalesce(${opportunities.valueMinor}, 0) else 0 end), 0)`.mapWith(Number),
      winsWithoutValue: sql<number>`coalesce(sum(case when ${isWon} and ${opportunities.valueMinor} is null then 1 else 0 end), 0)`.mapWith(Number),
    })
    .from(opportunities)
    .where(cohort(filters))
    .groupBy(opportunities.channel, opportunities.utmCampaign)
    .orderBy(asc(opportunities.channel), asc(opportunities.utmCampaign));
}

export interface WonOpportunityTouches {
  opportunityId: string;
  valueMinor: number;
  /** Oldest first; the opportunity's own channel and campaign when it has no stored touches. */
  touches: { channel: string; campaign: string | null }[];
}

/** Won opportunities of the period with a value, each with its touches in order, for the attribution models. */
export async function findWonOpportunityTouches(db: Database, filters: ReportFilters): Promise<WonOpportunityTouches[]> {
  const rows = await db
    .select({
      opportunityId: opportunities.id,
      valueMinor: opportunities.valueMinor,
      ownChannel: opportunities.channel,
      ownCampaign: opportunities.utmCampaign,
      touchChannel: opportunityTouches.channel,
      touchCampaign: opportunityTouches.campaign,
    })
    .from(opportunities)
    .leftJoin(opportunityTouches, and(eq(opportunityTouches.firmId, opportunities.firmId), eq(opportunityTouches.opportunityId, opportunities.id)))
    .where(and(cohort(filters), isWon, isNotNull(opportunities.valueMinor)))
    // A visit clamped to the enquiry's time still comes before it.
    .orderBy(
      asc(opportunities.id),
      asc(opportunityTouches.occurredAt),
      sql`case ${opportunityTouches.kind} when 'visit' then 0 when 'enquiry' then 1 else 2 end`,
      asc(opportunityTouches.id),
    );

  const byOpportunity = new Map<string, WonOpportunityTouches>();
  for (const row of rows) {
    let entry = byOpportunity.get(row.opportunityId);
    if (!entry) {
      entry = { opportunityId: row.opportunityId, valueMinor: row.valueMinor!, touches: [] };
      byOpportunity.set(row.opportunityId, entry);
    }
    if (row.touchChannel !== null) entry.touches.push({ channel: row.touchChannel, campaign: row.touchCampaign });
    else entry.touches.push({ channel: row.ownChannel, campaign: row.ownCampaign });
  }
  return [...byOpportunity.values()];
}

// ---------------------------------------------------------------------------------------------------------------
// Speed to lead

export interface ResponseGroup {
  ownerUserId: string | null;
  serviceLine: string | null;
  channel: string;
  enquiries: number;
  responded: number;
  clockMinutesTotal: number;
  workingMinutesTotal: number;
  withinTarget: number;
  wins: number;
}

/**
 * Response counts of the period by owner, service line and channel, which callers roll up per dimension.
 * `withinTarget` counts first responses within `targetWorkingMinutes` of working time.
 */
export async function countResponses(db: Database, filters: ReportFilters, targetWorkingMinutes: number): Promise<ResponseGroup[]> {
  return db
    .select({
      ownerUserId: opportunities.ownerUserId,
      serviceLine: opportunities.serviceLine,
      channel: opportunities.channel,
      enquiries: count(),
      responded: count(opportunities.firstResponseMinutes),
      clockMinutesTotal: sql<number>`coalesce(sum(${opportunities.firstResponseMinutes}), 0)`.mapWith(Number),
      workingMinutesTotal: sql<number>`coalesce(sum(${opportunities.firstResponseWorkingMinutes}), 0)`.mapWith(Number),
      withinTarget: sql<number>`coalesce(sum(case when ${opportunities.firstResponseWorkingMinutes} <= ${targetWorkingMinutes} then 1 else 0 end), 0)`.mapWith(Number),
      wins: wonCount,
    })
    .from(opportunities)
    .where(cohort(filters))
    .groupBy(opportunities.ownerUserId, opportunities.serviceLine, opportunities.channel);
}

export interface BandGroup {
  band: ResponseBandKey;
  enquiries: number;
  wins: number;
}

/** Enquiries and wins of the period by response-time band, in clock or working minutes. */
export async function countByResponseBand(db: Database, filters: ReportFilters, basis: "clock" | "working"): Promise<BandGroup[]> {
  const minutes = basis === "clock" ? opportunities.firstResponseMinutes : opportunities.firstResponseWorkingMinutes;
  const band = bandCase(minutes, TIMED_BANDS, "none");
  const rows = await db
    .select({ band, enquiries: count(), wins: wonCount })
    .from(opportunities)
    .where(cohort(filters))
    .groupBy(band);
  return rows.map((row) => ({ ...row, band: row.band as ResponseBandKey }));
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

/** Open opportunities now, by stage and age band, through the partial index on open opportunities. */
export async function countOpenPipeline(db: Database, filters: Omit<ReportFilters, "from" | "to">, now: Date): Promise<OpenGroup[]> {
  const ageDays = sql`(${now.getTime()} - ${opportunities.createdAt}) / 86400000.0`;
  const ageBucket = bandCase(ageDays, PIPELINE_AGE_BUCKETS.map((bucket) => ({ key: bucket.key, upTo: bucket.upToDays })), null);
  const rows = await db
    .select({
      stage: opportunities.stage,
      ageBucket,
      open: count(),
      stalled: count(opportunities.stalledAt),
      valueMinor: sql<number>`coalesce(sum(${opportunities.valueMinor}), 0)`.mapWith(Number),
    })
    .from(opportunities)
    .where(and(...dimensionFilters(filters), isNull(opportunities.closedAt)))
    .groupBy(opportunities.stage, ageBucket);
  return rows.map((row) => ({ ...row, ageBucket: row.ageBucket as PipelineAgeBucketKey }));
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
export async function listStalled(db: Database, filters: Omit<ReportFilters, "from" | "to">, limit: number): Promise<StalledOpportunity[]> {
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

/** Stalled open opportunities by reason. */
export async function countStalledByReason(db: Database, filters: Omit<ReportFilters, "from" | "to">) {
  return db
    .select({ reason: opportunities.stalledReason, stalled: count() })
    .from(opportunities)
    .where(and(...dimensionFilters(filters), isNull(opportunities.closedAt), isNotNull(opportunities.stalledAt)))
    .groupBy(opportunities.stalledReason)
    .orderBy(asc(opportunities.stalledReason));
}

/**
 * Opportunities closed between two instants, by close reason: the stall sweep's "no response" is closed for
 * silence. Reads through the (firm_id, closed_at) index.
 */
export async function countClosed(db: Database, filters: Omit<ReportFilters, "from" | "to">, closedFrom: Date, closedBefore: Date) {
  return db
    .select({ stage: opportunities.stage, reason: opportunities.closeReason, closed: count() })
    .from(opportunities)
    .where(and(...dimensionFilters(filters), gte(opportunities.closedAt, closedFrom), lt(opportunities.closedAt, closedBefore)))
    .groupBy(opportunities.stage, opportunities.closeReason);
}

/** Changes made from evidence and by hand to the opportunities of the period. */
export async function countChangeOrigins(db: Database, filters: ReportFilters): Promise<{ evidence: number; manual: number }> {
  const row = await db
    .select({
      evidence: sql<number>`coalesce(sum(${opportunities.evidenceChanges}), 0)`.mapWith(Number),
      manual: sql<number>`coalesce(sum(${opportunities.manualChanges}), 0)`.mapWith(Number),
    })
    .from(opportunities)
    .where(cohort(filters))
    .get();
  return row ?? { evidence: 0, manual: 0 };
}

// ---------------------------------------------------------------------------------------------------------------
// Service line by channel, and seasonality

/** Enquiries and wins of the period by service line and channel. */
export async function countByServiceLineAndChannel(db: Database, filters: ReportFilters) {
  return db
    .select({ serviceLine: opportunities.serviceLine, channel: opportunities.channel, enquiries: count(), wins: wonCount })
    .from(opportunities)
    .where(cohort(filters))
    .groupBy(opportunities.serviceLine, opportunities.channel);
}

/**
 * Enquiries per local date over the firm's whole history (seasonality compares with earlier years), with the
 * filters other than the period. Reads the (firm_id, enquiry_date) index; the result has one row per day.
 */
export async function countEnquiriesByDate(db: Database, filters: Omit<ReportFilters, "from" | "to">, until: string) {
  const rows = await db
    .select({ date: opportunities.enquiryDate, enquiries: count() })
    .from(opportunities)
    .where(and(...dimensionFilters(filters), isNotNull(opportunities.enquiryDate), sql`${opportunities.enquiryDate} <= ${until}`))
    .groupBy(opportunities.enquiryDate);
  return rows.map((row) => ({ date: row.date!, enquiries: row.enquiries }));
}

/** Finds the local date of the firm's first recorded enquiry, or null before the first. */
export async function findFirstEnquiryDate(db: Database, firmId: string): Promise<string | null> {
  const row = await db.select({ first: min(opportunities.enquiryDate) }).from(opportunities).where(eq(opportunities.firmId, firmId)).get();
  return row?.first ?? null;
}
