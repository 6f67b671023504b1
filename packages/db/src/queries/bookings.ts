import { and, desc, eq, isNull, lt, or, sql } from "drizzle-orm";
import type { Database } from "../client";
import { activities, contacts, integrations, meetings, opportunities, webhookEvents, type StoredAttribution } from "../schema";
import type { Meeting } from "./pipeline";
import { insertTouchesStatement, recordMeetingStatement, type NewTouch } from "./touches";

/**
 * Finds a booking integration by id for an incoming webhook. Not scoped by firm: the webhook's URL names the
 * integration, and only its verified signature makes the request trusted, after which its firm applies.
 */
export async function findIntegrationForWebhook(db: Database, provider: string, integrationId: string) {
  return (
    (await db
      .select()
      .from(integrations)
      .where(and(eq(integrations.id, integrationId), eq(integrations.kind, "booking"), eq(integrations.provider, provider)))
      .get()) ?? null
  );
}

/**
 * Stores a webhook before anything else is done with it. Returns the stored row's id, or null when the provider's
 * event id was seen before, so a repeat changes nothing.
 */
export async function storeWebhookEvent(
  db: Database,
  event: { id: string; firmId: string; provider: string; providerEventId: string; eventType: string; headers: Record<string, string>; body: string; now: Date },
): Promise<string | null> {
  const rows = await db
    .insert(webhookEvents)
    .values({
      id: event.id,
      firmId: event.firmId,
      provider: event.provider,
      providerEventId: event.providerEventId,
      eventType: event.eventType,
      headers: event.headers,
      body: event.body,
      status: "received",
      receivedAt: event.now,
    })
    .onConflictDoNothing()
    .returning({ id: webhookEvents.id });
  return rows[0]?.id ?? null;
}

export async function findWebhookEvent(db: Database, firmId: string, id: string) {
  return (await db.select().from(webhookEvents).where(and(eq(webhookEvents.firmId, firmId), eq(webhookEvents.id, id))).get()) ?? null;
}

export async function markWebhookEvent(db: Database, firmId: string, id: string, status: "processed" | "ignored" | "failed", error: string | null, now: Date) {
  await db
    .update(webhookEvents)
    .set({ status, error, processedAt: now })
    .where(and(eq(webhookEvents.firmId, firmId), eq(webhookEvents.id, id)));
}

/**
 * Creates the contact for an address or returns the existing one, in one statement: an upsert on the unique
 * (firm, normalised email) index, so a booking and a form submission for the same new person at once make one.
 */
export async function upsertContactByEmail(
  db: Database,
  contact: { newId: string; firmId: string; name: string | null; email: string; emailNormalised: string; now: Date },
): Promise<string> {
  const row = await db
    .insert(contacts)
    .values({
      id: contact.newId,
      firmId: contact.firmId,
      name: contact.name,
      email: contact.email,
      emailNormalised: contact.emailNormalised,
      createdAt: contact.now,
      updatedAt: contact.now,
    })
    .onConflictDoUpdate({
      target: [contacts.firmId, contacts.emailNormalised],
      set: { name: sql`coalesce(${contacts.name}, excluded.name)`, updatedAt: contact.now },
    })
    .returning({ id: contacts.id })
    .get();
  return row!.id;
}

/** Finds the contact's most recent opportunity that is not closed, if any. */
export async function findOpenOpportunityForContact(db: Database, firmId: string, contactId: string) {
  return (
    (await db
      .select()
      .from(opportunities)
      .where(and(eq(opportunities.firmId, firmId), eq(opportunities.contactId, contactId), isNull(opportunities.closedAt)))
      .orderBy(desc(opportunities.createdAt))
      .get()) ?? null
  );
}

export async function insertBookingOpportunity(
  db: Database,
  opportunity: {
    id: string;
    firmId: string;
    contactId: string;
    /** Picked by the firm's routing, as for a web enquiry; null when nothing routes it. */
    ownerUserId: string | null;
    reference: string;
    currency: string;
    channel: string;
    utmSource: string | null;
    utmMedium: string | null;
    utmCampaign: string | null;
    attribution: StoredAttribution;
    replyToken: string;
    /** Local date of the booking in the firm's time zone, "YYYY-MM-DD". */
    enquiryDate: string;
    now: Date;
  },
) {
  const touch: NewTouch = {
    id: `tch_${opportunity.id}_enquiry`,
    kind: "enquiry",
    channel: opportunity.channel,
    campaign: opportunity.utmCampaign,
    occurredAt: opportunity.now,
  };
  const insert = db.insert(opportunities).values({
    id: opportunity.id,
    firmId: opportunity.firmId,
    contactId: opportunity.contactId,
    ownerUserId: opportunity.ownerUserId,
    reference: opportunity.reference,
    stage: "new",
    currency: opportunity.currency,
    origin: "booking",
    channel: opportunity.channel,
    lastTouchChannel: opportunity.channel,
    utmSource: opportunity.utmSource,
    utmMedium: opportunity.utmMedium,
    utmCampaign: opportunity.utmCampaign,
    attribution: opportunity.attribution,
    replyToken: opportunity.replyToken,
    createdAt: opportunity.now,
    updatedAt: opportunity.now,
    lastActivityAt: opportunity.now,
    stageEnteredAt: opportunity.now,
    lastProspectActivityAt: opportunity.now,
    nextStallCheckAt: new Date(opportunity.now.getTime() + 60 * 60 * 1000),
    enquiryDate: opportunity.enquiryDate,
  });
  await db.batch([insert, insertTouchesStatement(db, opportunity.firmId, opportunity.id, [touch], opportunity.now)]);
}

/** Finds the meeting a booking event is about: by its key, or by the key it had before a reschedule. */
export async function findMeetingByKeys(db: Database, firmId: string, provider: string, keys: string[]): Promise<Meeting | null> {
  const candidates = keys.filter(Boolean);
  if (candidates.length === 0) return null;
  return (
    (await db
      .select()
      .from(meetings)
      .where(
        and(
          eq(meetings.firmId, firmId),
          eq(meetings.provider, provider),
          or(...candidates.map((key) => eq(meetings.meetingKey, key)), ...candidates.map((key) => eq(meetings.previousMeetingKey, key))),
        ),
      )
      .get()) ?? null
  );
}

/**
 * Inserts a booked meeting and, in the same batch, sets the opportunity's first-meeting time and stores the
 * booking's touch when it has one (null when the booking itself created the opportunity, whose enquiry touch it is).
 */
export async function insertMeeting(db: Database, meeting: typeof meetings.$inferInsert & { opportunityId: string }, touch: NewTouch | null) {
  const now = meeting.createdAt;
  await db.batch([
    db.insert(meetings).values(meeting).onConflictDoNothing(),
    recordMeetingStatement(db, meeting.firmId, meeting.opportunityId, now, now),
    ...(touch ? [insertTouchesStatement(db, meeting.firmId, meeting.opportunityId, [touch], now)] : []),
  ]);
}

export async function updateMeeting(db: Database, firmId: string, id: string, values: Partial<typeof meetings.$inferInsert>) {
  await db
    .update(meetings)
    .set(values)
    .where(and(eq(meetings.firmId, firmId), eq(meetings.id, id)));
}

/** Records activity on an opportunity's timeline and moves its last-activity clocks forward. */
export async function recordOpportunityActivity(
  db: Database,
  entry: { id: string; firmId: string; opportunityId: string; contactId: string; type: string; origin: string; data: Record<string, unknown>; occurredAt: Date; fromProspect: boolean; now: Date },
) {
  await db.batch([
    db
      .insert(activities)
      .values({
        id: entry.id,
        firmId: entry.firmId,
        opportunityId: entry.opportunityId,
        contactId: entry.contactId,
        type: entry.type,
        cause: "webhook",
        origin: entry.origin,
        occurredAt: entry.occurredAt,
        data: entry.data,
        createdAt: entry.now,
      })
      .onConflictDoNothing(),
    db
      .update(opportunities)
      .set({
        lastActivityAt: sql`max(${opportunities.lastActivityAt}, ${entry.occurredAt.getTime()})`,
        ...(entry.fromProspect ? { lastProspectActivityAt: sql`max(coalesce(${opportunities.lastProspectActivityAt}, 0), ${entry.occurredAt.getTime()})` } : {}),
        // New activity can end a stall or move its date, so an open opportunity is looked at again on the next sweep.
        nextStallCheckAt: sql`case when ${opportunities.closedAt} is null then ${entry.now.getTime()} else null end`,
        updatedAt: entry.now,
      })
      .where(and(eq(opportunities.firmId, entry.firmId), eq(opportunities.id, entry.opportunityId))),
  ]);
}

/** Stored webhooks still waiting after `receivedBefore` (their queue message was lost), oldest first, for every firm. */
export async function findWaitingWebhookEvents(db: Database, receivedBefore: Date, limit: number) {
  return db
    .select({ id: webhookEvents.id, firmId: webhookEvents.firmId })
    .from(webhookEvents)
    .where(and(eq(webhookEvents.status, "received"), lt(webhookEvents.receivedAt, receivedBefore)))
    .orderBy(webhookEvents.receivedAt)
    .limit(limit);
}
