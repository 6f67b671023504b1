import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../client";
import { opportunities, opportunityTouches, type TouchKind } from "../schema";

/** A touch to store with the event that makes it; see opportunityTouches. */
export interface NewTouch {
  id: string;
  kind: TouchKind;
  channel: string;
  campaign: string | null;
  occurredAt: Date;
}

/** Statement inserting touches of one opportunity; a touch whose id exists is kept as it is. */
export function insertTouchesStatement(db: Database, firmId: string, opportunityId: string, touches: NewTouch[], now: Date) {
  return db
    .insert(opportunityTouches)
    .values(touches.map((touch) => ({ ...touch, firmId, opportunityId, createdAt: now })))
    .onConflictDoNothing();
}

/**
 * Statement setting the first-meeting time of an opportunity, or moving it earlier, so the reports can count
 * opportunities that reached a meeting without reading the meetings table.
 */
export function recordMeetingStatement(db: Database, firmId: string, opportunityId: string, bookedAt: Date, now: Date) {
  return db
    .update(opportunities)
    .set({ firstMeetingAt: sql`min(coalesce(${opportunities.firstMeetingAt}, ${bookedAt.getTime()}), ${bookedAt.getTime()})`, updatedAt: now })
    .where(and(eq(opportunities.firmId, firmId), eq(opportunities.id, opportunityId)));
}
