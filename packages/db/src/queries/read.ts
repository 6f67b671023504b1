import { and, asc, desc, eq, isNotNull, isNull, sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Database } from "../client";
import { activities, contacts, opportunities } from "../schema";
import { afterCursor, toPage, type Page } from "./pagination";

export type Contact = typeof contacts.$inferSelect;
export type Opportunity = typeof opportunities.$inferSelect;
export type Activity = typeof activities.$inferSelect;

export interface ListOptions {
  limit: number;
  /** From a previous page's `nextCursor`; an undecodable cursor is the caller's problem to report. */
  cursor?: string | undefined;
}

export async function listContacts(db: Database, firmId: string, options: ListOptions): Promise<Page<Contact>> {
  const rows = await db
    .select()
    .from(contacts)
    .where(and(eq(contacts.firmId, firmId), afterCursor(contacts.createdAt, contacts.id, options.cursor)))
    .orderBy(desc(contacts.createdAt), desc(contacts.id))
    .limit(options.limit + 1);
  return toPage(rows, options.limit);
}

export interface OpportunityFilters {
  stage?: string | undefined;
  channel?: string | undefined;
  contactId?: string | undefined;
  /** A user id, or null for unassigned opportunities. */
  ownerUserId?: string | null | undefined;
  serviceLine?: string | undefined;
  stalled?: boolean | undefined;
}

/** An opportunity as lists show it: with its contact, so a card can name the person without a second call. */
export type OpportunityWithContact = Opportunity & { contact: Contact };

/**
 * Builds the WHERE clause of the opportunity filters. Each filter that the pipeline page combines with a stage
 * has an index on (firm, filter column, stage, created_at, id). A filtered column is therefore read from the
 * index in list order, without a sort. test/db/query-plans.test.ts checks the plans.
 */
export function opportunityConditions(firmId: string, filters: OpportunityFilters): SQL | undefined {
  // Stalled rows are few, and none in closed stages, so with stalled=true the partial index of stalled rows is the
  // one to walk. Without statistics SQLite would pick an index with more equality columns, and then read every
  // row of, say, a service line's lost opportunities to find none stalled. A unary plus keeps a term off indexes.
  const viaStalledIndex = filters.stalled === true;
  const equals = (column: SQLiteColumn, value: string) => (viaStalledIndex ? sql`+${column} = ${value}` : eq(column, value));
  const isUnassigned = viaStalledIndex ? sql`+${opportunities.ownerUserId} is null` : isNull(opportunities.ownerUserId);
  return and(
    eq(opportunities.firmId, firmId),
    filters.stage ? eq(opportunities.stage, filters.stage) : undefined,
    filters.channel ? equals(opportunities.channel, filters.channel) : undefined,
    filters.contactId ? eq(opportunities.contactId, filters.contactId) : undefined,
    filters.ownerUserId === null ? isUnassigned : undefined,
    filters.ownerUserId ? equals(opportunities.ownerUserId, filters.ownerUserId) : undefined,
    filters.serviceLine ? equals(opportunities.serviceLine, filters.serviceLine) : undefined,
    filters.stalled === true ? isNotNull(opportunities.stalledAt) : undefined,
    filters.stalled === false ? isNull(opportunities.stalledAt) : undefined,
  );
}

export async function listOpportunities(
  db: Database,
  firmId: string,
  options: ListOptions & OpportunityFilters,
): Promise<Page<OpportunityWithContact>> {
  const rows = await db
    .select({ opportunity: opportunities, contact: contacts })
    .from(opportunities)
    .innerJoin(contacts, and(eq(contacts.id, opportunities.contactId), eq(contacts.firmId, opportunities.firmId)))
    .where(and(opportunityConditions(firmId, options), afterCursor(opportunities.createdAt, opportunities.id, options.cursor)))
    .orderBy(desc(opportunities.createdAt), desc(opportunities.id))
    .limit(options.limit + 1);
  return toPage(
    rows.map((row) => ({ ...row.opportunity, contact: row.contact })),
    options.limit,
  );
}

/** Most timeline entries returned with one opportunity; older ones beyond it are left out and flagged. */
export const TIMELINE_LIMIT = 500;

export interface OpportunityDetail {
  opportunity: Opportunity;
  contact: Contact;
  timeline: Activity[];
  timelineTruncated: boolean;
}

/** Loads one opportunity of the firm with its contact and timeline; another firm's id is simply not found. */
export async function getOpportunityDetail(db: Database, firmId: string, opportunityId: string): Promise<OpportunityDetail | null> {
  const row = await db
    .select({ opportunity: opportunities, contact: contacts })
    .from(opportunities)
    .innerJoin(contacts, and(eq(contacts.id, opportunities.contactId), eq(contacts.firmId, opportunities.firmId)))
    .where(and(eq(opportunities.firmId, firmId), eq(opportunities.id, opportunityId)))
    .get();
  if (!row) return null;

  // Newest first so that the limit cuts the oldest entries, then reversed to read in time order. Entries of the same
  // millisecond follow SQLite's rowid, which is the order they were written in. Ids do not keep that order, because
  // their last part is random and a delivery entry's id comes from its message.
  const newestFirst = await db
    .select()
    .from(activities)
    .where(and(eq(activities.firmId, firmId), eq(activities.opportunityId, opportunityId)))
    .orderBy(desc(activities.occurredAt), desc(sql`${activities}.rowid`))
    .limit(TIMELINE_LIMIT + 1);

  return {
    ...row,
    timeline: newestFirst.slice(0, TIMELINE_LIMIT).reverse(),
    timelineTruncated: newestFirst.length > TIMELINE_LIMIT,
  };
}
