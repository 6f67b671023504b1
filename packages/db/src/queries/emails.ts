import { and, desc, eq, gt, inArray, isNull, or, sql } from "drizzle-orm";
import type { Database } from "../client";
import { insertTouchesStatement } from "./touches";
import { activities, contacts, emailMessages, firms, integrations, memberships, opportunities, outboundMessages, tasks, users, webhookEvents, type StoredAttribution } from "../schema";

export type EmailMessage = typeof emailMessages.$inferSelect;
export type NewEmailMessage = typeof emailMessages.$inferInsert;

/**
 * Finds an inbound-mail integration by id for an incoming webhook. Not scoped by firm, because the URL names the
 * integration and only its checked secret or signature makes the request trusted.
 */
export async function findInboundIntegration(db: Database, provider: string, integrationId: string) {
  return (
    (await db
      .select()
      .from(integrations)
      .where(and(eq(integrations.id, integrationId), eq(integrations.kind, "inbound_mail"), eq(integrations.provider, provider)))
      .get()) ?? null
  );
}

/**
 * Finds an opportunity by the secret token of its Reply-To capture address. Not scoped by firm, because the token
 * is what tells an Email Worker which firm a message is for. Callers that already know the firm compare it.
 */
export async function findOpportunityByReplyToken(db: Database, replyToken: string) {
  return (
    (await db
      .select({ id: opportunities.id, firmId: opportunities.firmId, contactId: opportunities.contactId })
      .from(opportunities)
      .where(eq(opportunities.replyToken, replyToken))
      .get()) ?? null
  );
}

/** Finds a firm by its slug, for the per-firm capture address. Not scoped, for the same reason as the reply token. */
export async function findFirmIdBySlug(db: Database, slug: string): Promise<string | null> {
  const row = await db.select({ id: firms.id }).from(firms).where(eq(firms.slug, slug)).get();
  return row?.id ?? null;
}

/** Reads the firm's own mail domains and the addresses of its people, which make a message the firm's own. */
export async function findFirmMailIdentity(db: Database, firmId: string): Promise<{ domains: string[]; addresses: string[] }> {
  const firm = await db.select({ emailDomains: firms.emailDomains }).from(firms).where(eq(firms.id, firmId)).get();
  const people = await db
    .select({ email: users.email })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.firmId, firmId));
  return {
    domains: (firm?.emailDomains ?? []).map((domain) => domain.toLowerCase()),
    addresses: people.map((person) => person.email.toLowerCase()),
  };
}

/** Finds a stored webhook event by its provider and the provider's event id, within one firm. */
export async function findWebhookEventByProviderId(db: Database, firmId: string, provider: string, providerEventId: string) {
  return (
    (await db
      .select({ id: webhookEvents.id, body: webhookEvents.body })
      .from(webhookEvents)
      .where(and(eq(webhookEvents.firmId, firmId), eq(webhookEvents.provider, provider), eq(webhookEvents.providerEventId, providerEventId)))
      .get()) ?? null
  );
}

/** Tells whether a Message-ID is one Plumbline gave to an email it sent for the firm. */
export async function isOwnOutboundMessageId(db: Database, firmId: string, messageIdHeader: string): Promise<boolean> {
  const row = await db
    .select({ id: outboundMessages.id })
    .from(outboundMessages)
    .where(and(eq(outboundMessages.firmId, firmId), eq(outboundMessages.messageIdHeader, messageIdHeader)))
    .get();
  return row !== undefined;
}

/**
 * Finds the opportunity of a thread by one Message-ID: an email Plumbline sent, or an earlier captured email that
 * is already filed. Returns null when neither has it.
 */
export async function findOpportunityByMessageId(db: Database, firmId: string, messageIdHeader: string): Promise<string | null> {
  const sent = await db
    .select({ opportunityId: outboundMessages.opportunityId })
    .from(outboundMessages)
    .where(and(eq(outboundMessages.firmId, firmId), eq(outboundMessages.messageIdHeader, messageIdHeader)))
    .get();
  if (sent?.opportunityId) return sent.opportunityId;

  const captured = await db
    .select({ opportunityId: emailMessages.opportunityId })
    .from(emailMessages)
    .where(and(eq(emailMessages.firmId, firmId), eq(emailMessages.messageIdHeader, messageIdHeader), sql`${emailMessages.opportunityId} is not null`))
    .get();
  return captured?.opportunityId ?? null;
}

export async function findOpportunityByReference(db: Database, firmId: string, reference: string) {
  return (
    (await db
      .select({ id: opportunities.id, contactId: opportunities.contactId })
      .from(opportunities)
      .where(and(eq(opportunities.firmId, firmId), eq(opportunities.reference, reference)))
      .get()) ?? null
  );
}

/** Finds the firm's contacts with any of these normalised addresses. */
export async function findContactsByEmails(db: Database, firmId: string, emailsNormalised: string[]) {
  if (emailsNormalised.length === 0) return [];
  return db
    .select({ id: contacts.id, emailNormalised: contacts.emailNormalised })
    .from(contacts)
    .where(and(eq(contacts.firmId, firmId), sql`${contacts.emailNormalised} in (select value from json_each(${JSON.stringify(emailsNormalised)}))`));
}

/** Finds the open (not closed) opportunities of these contacts, at most `limit` of them. */
export async function findOpenOpportunitiesOfContacts(db: Database, firmId: string, contactIds: string[], limit: number) {
  if (contactIds.length === 0) return [];
  return db
    .select({ id: opportunities.id, contactId: opportunities.contactId })
    .from(opportunities)
    .where(and(eq(opportunities.firmId, firmId), inArray(opportunities.contactId, contactIds), isNull(opportunities.closedAt)))
    .limit(limit);
}

/** Inserts a captured email. Returns false when a row with its id exists, so processing twice adds nothing. */
export async function insertEmailMessage(db: Database, email: NewEmailMessage): Promise<boolean> {
  const rows = await db.insert(emailMessages).values(email).onConflictDoNothing().returning({ id: emailMessages.id });
  return rows.length > 0;
}

/** The first human response and how long it took from the enquiry, in whole clock and working minutes. */
export interface FirstResponse {
  at: Date;
  clockMinutes: number;
  workingMinutes: number;
}

/**
 * Sets an opportunity's first response time and durations, or moves them earlier: a reply filed late or delivered
 * out of order may be older than the one that set them. Returns true when this call changed them.
 */
export async function recordFirstResponse(db: Database, firmId: string, opportunityId: string, response: FirstResponse, now: Date): Promise<boolean> {
  const at = response.at;
  const rows = await db
    .update(opportunities)
    .set({ firstResponseAt: at, firstResponseMinutes: response.clockMinutes, firstResponseWorkingMinutes: response.workingMinutes, updatedAt: now })
    .where(
      and(
        eq(opportunities.firmId, firmId),
        eq(opportunities.id, opportunityId),
        or(isNull(opportunities.firstResponseAt), gt(opportunities.firstResponseAt, at)),
      ),
    )
    .returning({ id: opportunities.id });
  return rows.length > 0;
}

/** Finds the ids of the opportunity's open tasks of one kind, such as `respond_to_enquiry`. */
export async function findOpenTaskIds(db: Database, firmId: string, opportunityId: string, kind: string): Promise<string[]> {
  const rows = await db
    .select({ id: tasks.id })
    .from(tasks)
    .where(and(eq(tasks.firmId, firmId), eq(tasks.opportunityId, opportunityId), eq(tasks.kind, kind), eq(tasks.status, "open")));
  return rows.map((row) => row.id);
}

/**
 * Creates an opportunity for an enquiry that reached the firm by email, such as one a partner forwarded, with its
 * routed owner and its open respond_to_enquiry task, in one batch.
 */
export async function insertEmailOpportunity(
  db: Database,
  opportunity: {
    id: string;
    firmId: string;
    contactId: string;
    reference: string;
    currency: string;
    replyToken: string;
    attribution: StoredAttribution;
    ownerUserId: string | null;
    task: { id: string; title: string; assigneeUserId: string | null; dueAt: Date };
    /** Local date of the enquiry in the firm's time zone, "YYYY-MM-DD". */
    enquiryDate: string;
    /** The partner alert owed for the new enquiry, written with it so it can be neither lost nor doubled. */
    alert?: { id: string; integrationId: string | null; data: Record<string, unknown> };
    now: Date;
  },
) {
  const { now, alert } = opportunity;
  const touch = { id: `tch_${opportunity.id}_enquiry`, kind: "enquiry" as const, channel: "email", campaign: null, occurredAt: now };
  const alertInsert = alert
    ? [
        db
          .insert(outboundMessages)
          .values({
            id: alert.id,
            firmId: opportunity.firmId,
            opportunityId: opportunity.id,
            kind: "partner_alert",
            channel: "chat",
            status: "pending",
            integrationId: alert.integrationId,
            data: alert.data,
            createdAt: now,
            updatedAt: now,
          })
          .onConflictDoNothing(),
      ]
    : [];
  await db.batch([
    db
      .insert(opportunities)
      .values({
        id: opportunity.id,
        firmId: opportunity.firmId,
        contactId: opportunity.contactId,
        reference: opportunity.reference,
        stage: "new",
        ownerUserId: opportunity.ownerUserId,
        currency: opportunity.currency,
        origin: "email",
        channel: "email",
        lastTouchChannel: "email",
        attribution: opportunity.attribution,
        replyToken: opportunity.replyToken,
        enquiryDate: opportunity.enquiryDate,
        createdAt: now,
        updatedAt: now,
        lastActivityAt: now,
        stageEnteredAt: now,
        lastProspectActivityAt: now,
        nextStallCheckAt: new Date(now.getTime() + 60 * 60 * 1000),
      })
      .onConflictDoNothing(),
    db
      .insert(tasks)
      .values({
        id: opportunity.task.id,
        firmId: opportunity.firmId,
        opportunityId: opportunity.id,
        kind: "respond_to_enquiry",
        status: "open",
        title: opportunity.task.title,
        assigneeUserId: opportunity.task.assigneeUserId,
        dueAt: opportunity.task.dueAt,
        nextReminderAt: opportunity.task.dueAt,
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoNothing(),
    insertTouchesStatement(db, opportunity.firmId, opportunity.id, [touch], now),
    ...alertInsert,
  ]);
}

/** Lists the firm's captured emails that no opportunity has yet, newest first. */
export async function listUnmatchedEmails(db: Database, firmId: string, limit: number): Promise<EmailMessage[]> {
  return db
    .select()
    .from(emailMessages)
    .where(and(eq(emailMessages.firmId, firmId), isNull(emailMessages.opportunityId)))
    .orderBy(desc(emailMessages.receivedAt), desc(emailMessages.id))
    .limit(limit);
}

export async function findEmailMessage(db: Database, firmId: string, id: string): Promise<EmailMessage | null> {
  return (await db.select().from(emailMessages).where(and(eq(emailMessages.firmId, firmId), eq(emailMessages.id, id))).get()) ?? null;
}

/**
 * Files a captured email on an opportunity of the same firm, with a timeline entry, in one batch. Both ids must
 * belong to `firmId`, which the caller checks first.
 */
export async function fileEmailMessage(
  db: Database,
  filing: { firmId: string; emailId: string; opportunityId: string; contactId: string; activityId: string; filedBy: string; actorUserId: string | null; data: Record<string, unknown>; occurredAt: Date; now: Date },
): Promise<EmailMessage | null> {
  const [updated] = await db.batch([
    db
      .update(emailMessages)
      .set({ opportunityId: filing.opportunityId, contactId: filing.contactId, matchedBy: "manual" })
      .where(and(eq(emailMessages.firmId, filing.firmId), eq(emailMessages.id, filing.emailId)))
      .returning(),
    db
      .insert(activities)
      .values({
        id: filing.activityId,
        firmId: filing.firmId,
        opportunityId: filing.opportunityId,
        contactId: filing.contactId,
        type: "email.filed",
        cause: "user",
        origin: "api",
        actorUserId: filing.actorUserId,
        occurredAt: filing.occurredAt,
        data: { ...filing.data, filedBy: filing.filedBy },
        createdAt: filing.now,
      })
      .onConflictDoNothing(),
    db
      .update(opportunities)
      .set({ manualChanges: sql`${opportunities.manualChanges} + 1` })
      .where(and(eq(opportunities.firmId, filing.firmId), eq(opportunities.id, filing.opportunityId))),
  ]);
  return updated[0] ?? null;
}
