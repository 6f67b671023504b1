import { and, asc, desc, eq, sql } from "drizzle-orm";
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
}

export async function listOpportunities(
  db: Database,
  firmId: string,
  options: ListOptions & OpportunityFilters,
): Promise<Page<Opportunity>> {
  const rows = await db
    .select()
    .from(opportunities)
    .where(
      and(
        eq(opportunities.firmId, firmId),
        options.stage ? eq(opportunities.stage, options.stage) : undefined,
        options.channel ? eq(opportunities.channel, options.channel) : undefined,
        options.contactId ? eq(opportunities.contactId, options.contactId) : undefined,
        afterCursor(opportunities.createdAt, opportunities.id, options.cursor),
      ),
    )
    .orderBy(desc(opportunities.createdAt), desc(opportunities.id))
    .limit(options.limit + 1);
  return toPage(rows, options.limit);
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
