import { and, eq, isNull, sql } from "drizzle-orm";
import type { Database } from "../client";
import { activities, emailSuppressions, integrations, opportunities, outboundMessages, webhookEvents } from "../schema";
import type { OutboundMessage } from "./outbox";

/**
 * Finds a mail events integration by id for an incoming delivery webhook. Not scoped by firm, because the webhook's
 * URL names the integration and only its verified secret makes the request trusted. After that, its firm applies.
 */
export async function findMailEventsIntegration(db: Database, provider: string, integrationId: string) {
  return (
    (await db
      .select()
      .from(integrations)
      .where(and(eq(integrations.id, integrationId), eq(integrations.kind, "mail_events"), eq(integrations.provider, provider)))
      .get()) ?? null
  );
}

/**
 * Stores several webhook events from one request, such as the elements of a SendGrid batch, in D1 batches. Returns
 * the ids of the rows stored. An event whose provider event id was seen before is skipped.
 */
export async function storeWebhookEvents(
  db: Database,
  events: Array<{ id: string; firmId: string; provider: string; providerEventId: string; eventType: string; headers: Record<string, string>; body: string }>,
  now: Date,
): Promise<string[]> {
  // D1 caps the statements one Worker invocation may run, so a large batch is written in chunks.
  const CHUNK = 50;
  const stored: string[] = [];
  for (let start = 0; start < events.length; start += CHUNK) {
    const statements = events.slice(start, start + CHUNK).map((event) =>
      db
        .insert(webhookEvents)
        .values({ ...event, status: "received", receivedAt: now })
        .onConflictDoNothing()
        .returning({ id: webhookEvents.id }),
    );
    const [first, ...rest] = statements;
    if (!first) continue;
    const results = await db.batch([first, ...rest]);
    for (const rows of results) if (rows[0]) stored.push(rows[0].id);
  }
  return stored;
}

/**
 * Records a Mailgun signature token as used, as a webhook event row that is already processed, so the queue and the
 * cron never pick it up. Returns false when the token was recorded before, which means the request is a replay.
 */
export async function recordMailgunToken(db: Database, entry: { id: string; firmId: string; token: string; now: Date }): Promise<boolean> {
  const rows = await db
    .insert(webhookEvents)
    .values({
      id: entry.id,
      firmId: entry.firmId,
      provider: "mailgun-token",
      providerEventId: entry.token,
      eventType: "signature_token",
      headers: {},
      body: "",
      status: "processed",
      receivedAt: entry.now,
      processedAt: entry.now,
    })
    .onConflictDoNothing()
    .returning({ id: webhookEvents.id });
  return rows.length > 0;
}

/** Deletes a recorded Mailgun token, so that the provider's retry of a request that failed after the check can pass. */
export async function forgetMailgunToken(db: Database, firmId: string, token: string) {
  await db
    .delete(webhookEvents)
    .where(and(eq(webhookEvents.firmId, firmId), eq(webhookEvents.provider, "mailgun-token"), eq(webhookEvents.providerEventId, token)));
}

/** Finds the firm's outbound message that a provider's send call named `providerMessageId`. */
export async function findOutboundByProviderMessageId(db: Database, firmId: string, provider: string, providerMessageId: string): Promise<OutboundMessage | null> {
  return (
    (await db
      .select()
      .from(outboundMessages)
      .where(and(eq(outboundMessages.firmId, firmId), eq(outboundMessages.provider, provider), eq(outboundMessages.providerMessageId, providerMessageId)))
      .get()) ?? null
  );
}

export async function findOpportunityContact(db: Database, firmId: string, opportunityId: string) {
  return (
    (await db
      .select({ id: opportunities.id, contactId: opportunities.contactId })
      .from(opportunities)
      .where(and(eq(opportunities.firmId, firmId), eq(opportunities.id, opportunityId)))
      .get()) ?? null
  );
}

export interface DeliveryEventWrite {
  firmId: string;
  webhookEventId: string;
  message: Pick<OutboundMessage, "id" | "deliveryStatus" | "deliveryStatusAt">;
  /** The new status and its provider time, or null when the event does not change the status. */
  status: { value: string; at: Date } | null;
  activity: { id: string; opportunityId: string; contactId: string | null; type: string; origin: string; occurredAt: Date; data: Record<string, unknown> } | null;
  suppression: { emailNormalised: string; reason: string } | null;
  attention: { opportunityId: string; reason: string } | null;
  now: Date;
}

/**
 * Writes what one delivery event changes, in one D1 batch: the message's status, a timeline entry, a suppression,
 * the opportunity's attention reason, and the stored event marked processed. The status update only applies when
 * the status is still the one the caller decided from, so two events processed at once cannot overwrite each other.
 * Returns false when that check failed, and then the caller must load the message again and decide again.
 */
export async function applyDeliveryEvent(db: Database, write: DeliveryEventWrite): Promise<boolean> {
  const { firmId, message, now } = write;
  const statusUnchanged = and(
    eq(outboundMessages.firmId, firmId),
    eq(outboundMessages.id, message.id),
    message.deliveryStatus === null ? isNull(outboundMessages.deliveryStatus) : eq(outboundMessages.deliveryStatus, message.deliveryStatus),
    message.deliveryStatusAt === null ? isNull(outboundMessages.deliveryStatusAt) : eq(outboundMessages.deliveryStatusAt, message.deliveryStatusAt),
  );

  const statements = [];
  if (write.status) {
    statements.push(
      db
        .update(outboundMessages)
        .set({ deliveryStatus: write.status.value, deliveryStatusAt: write.status.at, updatedAt: now })
        .where(statusUnchanged)
        .returning({ id: outboundMessages.id }),
    );
  }

  if (write.activity) {
    statements.push(
      db
        .insert(activities)
        .values({ ...write.activity, firmId, cause: "webhook", createdAt: now })
        .onConflictDoNothing(),
    );
  }
  if (write.suppression) {
    statements.push(
      db
        .insert(emailSuppressions)
        .values({ firmId, emailNormalised: write.suppression.emailNormalised, reason: write.suppression.reason, createdAt: now })
        .onConflictDoNothing(),
    );
  }

  // The attention reason and the processed mark depend on the status update having taken effect, which the message
  // row then shows. An event that changes no status needs no such check, because a status only ever moves up.
  const applied = write.status
    ? sql`exists (select 1 from ${outboundMessages} where ${outboundMessages.firmId} = ${firmId} and ${outboundMessages.id} = ${message.id} and ${outboundMessages.deliveryStatus} = ${write.status.value} and ${outboundMessages.deliveryStatusAt} = ${write.status.at.getTime()})`
    : undefined;
  if (write.attention && write.status) {
    statements.push(
      db
        .update(opportunities)
        .set({ attentionReason: write.attention.reason, attentionAt: now, updatedAt: now })
        .where(and(eq(opportunities.firmId, firmId), eq(opportunities.id, write.attention.opportunityId), applied)),
    );
  }
  statements.push(
    db
      .update(webhookEvents)
      .set({ status: "processed", error: null, processedAt: now })
      .where(and(eq(webhookEvents.firmId, firmId), eq(webhookEvents.id, write.webhookEventId), eq(webhookEvents.status, "received"), applied)),
  );

  const [first, ...rest] = statements;
  const results = await db.batch([first!, ...rest]);
  if (!write.status) return true;
  return (results[0] as unknown[]).length > 0;
}
