import { and, asc, desc, eq, gt, inArray, isNotNull, isNull, lte, sql, type SQL } from "drizzle-orm";
import type { Database } from "../client";
import { activities, firms, meetings, opportunities } from "../schema";

export type Meeting = typeof meetings.$inferSelect;

export interface StageWrite {
  firmId: string;
  opportunityId: string;
  /** The stage read before deciding; the write only happens if it is still the stage, so racing events cannot both apply. */
  expectedStage: string;
  stage: string;
  stageOverride: { stage: string; at: string; by: string } | null;
  stageBeforeMeeting: string | null;
  closed: { at: Date; reason: string } | null;
  /** Restarts the prospect-silence clock, for a revival: the deal is live again from now. */
  restartSilenceClock?: boolean;
  activity: { id: string; type: string; cause: string; origin: string; actorUserId: string | null; data: Record<string, unknown> };
  now: Date;
}

/**
 * Moves an opportunity to a new stage and records the receipt on its timeline, in one batch. Returns false when
 * the stage changed since it was read, so nothing was written and the caller can decide again.
 */
export async function writeStageChange(db: Database, write: StageWrite): Promise<boolean> {
  const closing = write.closed !== null;
  const [updated] = await db.batch([
    db
      .update(opportunities)
      .set({
        stage: write.stage,
        stageEnteredAt: write.now,
        stageOverride: write.stageOverride,
        stageBeforeMeeting: write.stageBeforeMeeting,
        stalledAt: null,
        stalledReason: null,
        closedAt: closing ? write.closed!.at : null,
        closeReason: closing ? write.closed!.reason : null,
        nextStallCheckAt: closing ? null : write.now,
        ...(write.restartSilenceClock ? { lastProspectActivityAt: write.now, lastActivityAt: write.now } : {}),
        ...(write.activity.cause === "user"
          ? { manualChanges: sql`${opportunities.manualChanges} + 1` }
          : { evidenceChanges: sql`${opportunities.evidenceChanges} + 1` }),
        updatedAt: write.now,
      })
      .where(and(eq(opportunities.firmId, write.firmId), eq(opportunities.id, write.opportunityId), eq(opportunities.stage, write.expectedStage)))
      .returning({ id: opportunities.id }),
    db
      .insert(activities)
      .select(
        db
          .select({
            id: sql<string>`${write.activity.id}`.as("id"),
            firmId: opportunities.firmId,
            opportunityId: opportunities.id,
            contactId: opportunities.contactId,
            type: sql<string>`${write.activity.type}`.as("type"),
            cause: sql<string>`${write.activity.cause}`.as("cause"),
            origin: sql<string>`${write.activity.origin}`.as("origin"),
            actorUserId: sql<string | null>`${write.activity.actorUserId}`.as("actor_user_id"),
            occurredAt: sql<number>`${write.now.getTime()}`.as("occurred_at"),
            data: sql<string>`${JSON.stringify(write.activity.data)}`.as("data"),
            createdAt: sql<number>`${write.now.getTime()}`.as("created_at"),
          })
          .from(opportunities)
          // Only when the update above took effect, which it did exactly when the stage is now the new one.
          .where(and(eq(opportunities.firmId, write.firmId), eq(opportunities.id, write.opportunityId), eq(opportunities.stage, write.stage), eq(opportunities.updatedAt, write.now))),
      ),
  ]);
  return updated.length > 0;
}

export async function findOpportunity(db: Database, firmId: string, opportunityId: string) {
  return (
    (await db
      .select()
      .from(opportunities)
      .where(and(eq(opportunities.firmId, firmId), eq(opportunities.id, opportunityId)))
      .get()) ?? null
  );
}

/** Opportunities the stall sweep must look at now, oldest due first, with their firm's stall settings. */
export async function findOpportunitiesDueForStallCheck(db: Database, now: Date, limit: number) {
  return db
    .select({
      opportunity: opportunities,
      firm: { id: firms.id, stallDays: firms.stallDays, closeAsLostDays: firms.closeAsLostDays },
    })
    .from(opportunities)
    .innerJoin(firms, eq(firms.id, opportunities.firmId))
    .where(lte(opportunities.nextStallCheckAt, now))
    .orderBy(asc(opportunities.nextStallCheckAt))
    .limit(limit);
}

/** Finds the opportunity's latest meeting that has started (booked or held), if any. */
export async function findLatestMeeting(db: Database, firmId: string, opportunityId: string, now: Date): Promise<Meeting | null> {
  return (
    (await db
      .select()
      .from(meetings)
      .where(
        and(
          eq(meetings.firmId, firmId),
          eq(meetings.opportunityId, opportunityId),
          inArray(meetings.status, ["booked", "held"]),
          lte(meetings.startsAt, now),
        ),
      )
      .orderBy(desc(meetings.startsAt))
      .get()) ?? null
  );
}

/** Finds the opportunity's next booked meeting that has not started, if any. */
export async function findNextMeeting(db: Database, firmId: string, opportunityId: string, now: Date): Promise<Meeting | null> {
  return (
    (await db
      .select()
      .from(meetings)
      .where(and(eq(meetings.firmId, firmId), eq(meetings.opportunityId, opportunityId), eq(meetings.status, "booked"), gt(meetings.startsAt, now)))
      .orderBy(asc(meetings.startsAt))
      .get()) ?? null
  );
}

/**
 * Records the stall sweep's verdict on one opportunity: stalled (with why, on the timeline the first time),
 * active again, and when to look next. Guarded by the check time read, so two sweeps cannot both act.
 */
export async function recordStallCheck(
  db: Database,
  check: {
    firmId: string;
    opportunityId: string;
    expectedCheckAt: Date;
    stalled: { reason: string } | null;
    wasStalled: boolean;
    nextCheckAt: Date;
    activityId: string;
    now: Date;
  },
): Promise<boolean> {
  // A continuing stall keeps the time it was first flagged and the reason written then, a new one gets now and
  // this check's reason, and an active opportunity has neither.
  let stalledAt: Date | SQL | null = null;
  let stalledReason: string | SQL | null = null;
  if (check.stalled) {
    stalledAt = check.wasStalled ? sql`${opportunities.stalledAt}` : check.now;
    stalledReason = check.wasStalled ? sql`coalesce(${opportunities.stalledReason}, ${check.stalled.reason})` : check.stalled.reason;
  }

  const update = db
    .update(opportunities)
    .set({
      stalledAt,
      stalledReason,
      nextStallCheckAt: check.nextCheckAt,
    })
    .where(
      and(eq(opportunities.firmId, check.firmId), eq(opportunities.id, check.opportunityId), eq(opportunities.nextStallCheckAt, check.expectedCheckAt)),
    )
    .returning({ id: opportunities.id, contactId: opportunities.contactId });

  const updated = await update;
  if (updated.length === 0) return false;

  if (check.stalled && !check.wasStalled) {
    await db.insert(activities).values({
      id: check.activityId,
      firmId: check.firmId,
      opportunityId: check.opportunityId,
      contactId: updated[0]!.contactId,
      type: "opportunity.stalled",
      cause: "automation",
      origin: "stall-sweep",
      occurredAt: check.now,
      data: { reason: check.stalled.reason },
      createdAt: check.now,
    });
  }
  return true;
}

/**
 * Stores a person's override when it does not change the stage (they confirmed the stage the deal is in), and
 * puts it on the timeline, so automation respects it from now on.
 */
export async function writeStageOverride(
  db: Database,
  write: {
    firmId: string;
    opportunityId: string;
    override: { stage: string; at: string; by: string };
    activityId: string;
    /** The signed-in person who set it; null for an API key. */
    actorUserId: string | null;
    data: Record<string, unknown>;
    now: Date;
  },
): Promise<void> {
  const row = await db
    .update(opportunities)
    .set({ stageOverride: write.override, stageBeforeMeeting: null, manualChanges: sql`${opportunities.manualChanges} + 1`, updatedAt: write.now })
    .where(and(eq(opportunities.firmId, write.firmId), eq(opportunities.id, write.opportunityId)))
    .returning({ contactId: opportunities.contactId })
    .get();
  if (!row) return;
  await db.insert(activities).values({
    id: write.activityId,
    firmId: write.firmId,
    opportunityId: write.opportunityId,
    contactId: row.contactId,
    type: "stage.override",
    cause: "user",
    origin: "api",
    actorUserId: write.actorUserId,
    occurredAt: write.now,
    data: write.data,
    createdAt: write.now,
  });
}

/** Sets an opportunity's value in minor units; returns false when the opportunity is not the firm's. */
export async function setOpportunityValue(db: Database, firmId: string, opportunityId: string, valueMinor: number, now: Date): Promise<boolean> {
  const rows = await db
    .update(opportunities)
    .set({ valueMinor, updatedAt: now })
    .where(and(eq(opportunities.firmId, firmId), eq(opportunities.id, opportunityId)))
    .returning({ id: opportunities.id });
  return rows.length > 0;
}

/** Filters of the pipeline header's counts; each one given narrows the count. */
export interface StageSummaryFilters {
  /** A user id, or null for unassigned opportunities. */
  ownerUserId?: string | null | undefined;
  serviceLine?: string | undefined;
  channel?: string | undefined;
  stalled?: boolean | undefined;
}

/**
 * Counts a firm's opportunities per stage, with how many are stalled and their total value in minor units. Reads
 * only columns of opportunities_firm_summary_idx, so SQLite reads the index alone.
 */
export async function summariseStages(db: Database, firmId: string, filters: StageSummaryFilters) {
  const conditions: SQL[] = [eq(opportunities.firmId, firmId)];
  if (filters.ownerUserId === null) conditions.push(isNull(opportunities.ownerUserId));
  if (filters.ownerUserId) conditions.push(eq(opportunities.ownerUserId, filters.ownerUserId));
  if (filters.serviceLine) conditions.push(eq(opportunities.serviceLine, filters.serviceLine));
  if (filters.channel) conditions.push(eq(opportunities.channel, filters.channel));
  if (filters.stalled === true) conditions.push(isNotNull(opportunities.stalledAt));
  if (filters.stalled === false) conditions.push(isNull(opportunities.stalledAt));
  return db
    .select({
      stage: opportunities.stage,
      count: sql<number>`count(*)`,
      stalled: sql<number>`count(${opportunities.stalledAt})`,
      valueMinor: sql<number>`coalesce(sum(${opportunities.valueMinor}), 0)`,
    })
    .from(opportunities)
    .where(and(...conditions))
    .groupBy(opportunities.stage);
}

/**
 * Lists the distinct service lines of a firm's opportunities, in byte order, for the pipeline's filter. A plain
 * DISTINCT would read every index entry of the firm. The recursive query instead seeks once per service line
 * in opportunities_firm_service_line_stage_idx, so it costs the number of lines, not the number of rows.
 */
export async function listServiceLines(db: Database, firmId: string): Promise<string[]> {
  const rows = await db.all<{ line: string }>(sql`
    with recursive lines(line) as (
      select min(service_line) from opportunities where firm_id = ${firmId} and service_line is not null
      union all
      select (select min(service_line) from opportunities where firm_id = ${firmId} and service_line > lines.line)
      from lines where lines.line is not null
    )
    select line from lines where line is not null`);
  return rows.map((row) => row.line);
}
