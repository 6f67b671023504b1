import { and, asc, desc, eq, gte, inArray, isNull, lt, lte, ne, or, sql } from "drizzle-orm";
import type { Database } from "../client";
import { activities, emailSuppressions, integrations, outboundMessages } from "../schema";
import { afterCursor, toPage, type Page } from "./pagination";

export type OutboundMessage = typeof outboundMessages.$inferSelect;

/** A claim on a message being sent older than this is taken to be from a Worker that stopped mid-send. */
export const STALE_SENDING_MS = 15 * 60 * 1000;

/**
 * Finds owed messages that are due but not on the queue, oldest first: never queued (the send after the write
 * failed), or stuck (a retry whose queue message was lost, or a send whose Worker stopped). Not scoped to one
 * firm: the cron serves every firm.
 */
export async function findUnqueuedMessages(db: Database, writtenBefore: Date, limit: number) {
  const stale = new Date(writtenBefore.getTime() - STALE_SENDING_MS);
  return db
    .select({ id: outboundMessages.id, firmId: outboundMessages.firmId })
    .from(outboundMessages)
    .where(
      or(
        and(eq(outboundMessages.status, "pending"), isNull(outboundMessages.queuedAt), lt(outboundMessages.createdAt, writtenBefore)),
        and(eq(outboundMessages.status, "pending"), lt(outboundMessages.nextAttemptAt, stale)),
        and(eq(outboundMessages.status, "sending"), lt(outboundMessages.updatedAt, stale)),
      ),
    )
    .orderBy(asc(outboundMessages.createdAt))
    .limit(limit);
}

export async function findOutboundMessage(db: Database, firmId: string, id: string) {
  return (
    (await db
      .select()
      .from(outboundMessages)
      .where(and(eq(outboundMessages.firmId, firmId), eq(outboundMessages.id, id)))
      .get()) ?? null
  );
}

/**
 * Claims a message for sending: pending and due, or stuck in `sending` past STALE_SENDING_MS. Returns null when
 * another consumer has claimed it or it is already finished, so a duplicate queue delivery sends nothing twice.
 */
export async function claimOutboundMessage(db: Database, firmId: string, id: string, now: Date): Promise<OutboundMessage | null> {
  const row = await db
    .update(outboundMessages)
    .set({ status: "sending", attempts: sql`${outboundMessages.attempts} + 1`, updatedAt: now })
    .where(
      and(
        eq(outboundMessages.firmId, firmId),
        eq(outboundMessages.id, id),
        or(
          and(eq(outboundMessages.status, "pending"), or(isNull(outboundMessages.nextAttemptAt), lte(outboundMessages.nextAttemptAt, now))),
          and(eq(outboundMessages.status, "sending"), lt(outboundMessages.updatedAt, new Date(now.getTime() - STALE_SENDING_MS))),
        ),
      ),
    )
    .returning()
    .get();
  return row ?? null;
}

/**
 * Claims other pending partner alerts for the same chat integration, so a burst goes out as one digest. At most
 * `limit`, oldest first.
 */
export async function claimWaitingAlerts(db: Database, firmId: string, integrationId: string | null, exceptId: string, now: Date, limit: number) {
  const waiting = db
    .select({ id: outboundMessages.id })
    .from(outboundMessages)
    .where(
      and(
        eq(outboundMessages.firmId, firmId),
        eq(outboundMessages.kind, "partner_alert"),
        eq(outboundMessages.status, "pending"),
        integrationId === null ? isNull(outboundMessages.integrationId) : eq(outboundMessages.integrationId, integrationId),
        ne(outboundMessages.id, exceptId),
      ),
    )
    .orderBy(asc(outboundMessages.createdAt))
    .limit(limit);

  return db
    .update(outboundMessages)
    .set({ status: "sending", attempts: sql`${outboundMessages.attempts} + 1`, updatedAt: now })
    .where(and(eq(outboundMessages.firmId, firmId), eq(outboundMessages.status, "pending"), inArray(outboundMessages.id, waiting)))
    .returning();
}

export interface Outcome {
  status: "sent" | "skipped" | "failed" | "pending";
  statusReason?: string | null;
  provider?: string | null;
  providerMessageId?: string | null;
  messageIdHeader?: string | null;
  lastError?: string | null;
  nextAttemptAt?: Date | null;
  /** Rendered content kept with the message, for the timeline and the local outbox page. */
  data?: Record<string, unknown>;
}

/**
 * Records how an attempt ended on the message rows (one, or several for a digest) and, for finished ones, a
 * timeline entry on each opportunity, in one batch.
 */
export async function recordOutcome(db: Database, firmId: string, rows: OutboundMessage[], outcome: Outcome, now: Date) {
  const ids = rows.map((row) => row.id);
  const statements = [];
  for (const row of rows) {
    statements.push(
      db
        .update(outboundMessages)
        .set({
          status: outcome.status,
          statusReason: outcome.statusReason ?? null,
          provider: outcome.provider ?? row.provider,
          providerMessageId: outcome.providerMessageId ?? row.providerMessageId,
          messageIdHeader: outcome.messageIdHeader ?? row.messageIdHeader,
          lastError: outcome.lastError ?? null,
          nextAttemptAt: outcome.nextAttemptAt ?? null,
          sentAt: outcome.status === "sent" ? now : row.sentAt,
          data: outcome.data ? { ...row.data, ...outcome.data } : row.data,
          updatedAt: now,
        })
        .where(and(eq(outboundMessages.firmId, firmId), eq(outboundMessages.id, row.id))),
    );
    if (outcome.status !== "pending" && row.opportunityId) {
      statements.push(
        db.insert(activities).values({
          id: `act_${row.id.slice(4)}_${outcome.status}_${row.attempts}`,
          firmId,
          opportunityId: row.opportunityId,
          contactId: null,
          type: `${row.kind}.${outcome.status}`,
          cause: "automation",
          origin: outcome.provider ?? "plumbline",
          occurredAt: now,
          data: {
            outboundMessageId: row.id,
            channel: row.channel,
            provider: outcome.provider ?? null,
            providerMessageId: outcome.providerMessageId ?? null,
            reason: outcome.statusReason ?? null,
            attempts: row.attempts,
            ...(ids.length > 1 ? { digestOf: ids.length } : {}),
          },
          createdAt: now,
        }).onConflictDoNothing(),
      );
    }
  }
  const [first, ...rest] = statements;
  if (first) await db.batch([first, ...rest]);
}

export async function markIntegrationNeedsAttention(db: Database, firmId: string, integrationId: string, reason: string, now: Date) {
  await db
    .update(integrations)
    .set({ status: "needs_attention", statusReason: reason, updatedAt: now })
    .where(and(eq(integrations.firmId, firmId), eq(integrations.id, integrationId)));
}

/**
 * Takes the chat integration's next send slot when it is free, so one webhook gets at most one message per
 * `intervalMs`. Returns 0 when the slot was taken, or the milliseconds to wait.
 */
export async function takeChatSlot(db: Database, firmId: string, integrationId: string, now: Date, intervalMs: number): Promise<number> {
  const taken = await db
    .update(integrations)
    .set({ nextSendAt: new Date(now.getTime() + intervalMs) })
    .where(
      and(
        eq(integrations.firmId, firmId),
        eq(integrations.id, integrationId),
        or(isNull(integrations.nextSendAt), lte(integrations.nextSendAt, now)),
      ),
    )
    .returning({ id: integrations.id })
    .get();
  if (taken) return 0;

  const row = await db
    .select({ nextSendAt: integrations.nextSendAt })
    .from(integrations)
    .where(and(eq(integrations.firmId, firmId), eq(integrations.id, integrationId)))
    .get();
  return Math.max(1, (row?.nextSendAt?.getTime() ?? now.getTime()) - now.getTime());
}

export async function isEmailSuppressed(db: Database, firmId: string, emailNormalised: string): Promise<boolean> {
  const row = await db
    .select({ reason: emailSuppressions.reason })
    .from(emailSuppressions)
    .where(and(eq(emailSuppressions.firmId, firmId), eq(emailSuppressions.emailNormalised, emailNormalised)))
    .get();
  return row !== undefined;
}

/** Counts emails of one kind sent to an address since `since`, for the daily cap on acknowledgements. */
export async function countSentTo(db: Database, firmId: string, recipient: string, kind: string, since: Date): Promise<number> {
  const row = await db
    .select({ count: sql<number>`count(*)` })
    .from(outboundMessages)
    .where(
      and(
        eq(outboundMessages.firmId, firmId),
        eq(outboundMessages.recipient, recipient),
        gte(outboundMessages.createdAt, since),
        eq(outboundMessages.kind, kind),
        eq(outboundMessages.status, "sent"),
      ),
    )
    .get();
  return row?.count ?? 0;
}

/** Lists a firm's messages with one status, newest first, optionally of one opportunity. */
export async function listOutboundMessages(
  db: Database,
  firmId: string,
  options: { status: OutboundMessage["status"]; opportunityId?: string | undefined; limit: number; cursor?: string | undefined },
): Promise<Page<OutboundMessage>> {
  const rows = await db
    .select()
    .from(outboundMessages)
    .where(
      and(
        eq(outboundMessages.firmId, firmId),
        eq(outboundMessages.status, options.status),
        options.opportunityId ? eq(outboundMessages.opportunityId, options.opportunityId) : undefined,
        afterCursor(outboundMessages.createdAt, outboundMessages.id, options.cursor),
      ),
    )
    .orderBy(desc(outboundMessages.createdAt), desc(outboundMessages.id))
    .limit(options.limit + 1);
  return toPage(rows, options.limit);
}

/** Puts a failed message back to pending for another try, keeping its attempt history. */
export async function resetFailedMessage(db: Database, firmId: string, id: string, now: Date): Promise<OutboundMessage | null> {
  const row = await db
    .update(outboundMessages)
    .set({ status: "pending", statusReason: null, nextAttemptAt: null, queuedAt: null, updatedAt: now })
    .where(and(eq(outboundMessages.firmId, firmId), eq(outboundMessages.id, id), eq(outboundMessages.status, "failed")))
    .returning()
    .get();
  return row ?? null;
}

/** Marks a message failed after its queue retries ran out. Only rows still unfinished change. */
export async function markMessageExhausted(db: Database, firmId: string, id: string, now: Date) {
  return (
    (await db
      .update(outboundMessages)
      .set({ status: "failed", statusReason: "retries exhausted", updatedAt: now })
      .where(and(eq(outboundMessages.firmId, firmId), eq(outboundMessages.id, id), inArray(outboundMessages.status, ["pending", "sending"])))
      .returning()
      .get()) ?? null
  );
}

/** Writes one owed message, for callers that owe a single message outside an enquiry's write. */
export async function insertOwedMessage(
  db: Database,
  message: { id: string; firmId: string; opportunityId: string | null; kind: string; channel: string; integrationId: string | null; data: Record<string, unknown>; now: Date },
): Promise<void> {
  await db.insert(outboundMessages).values({
    id: message.id,
    firmId: message.firmId,
    opportunityId: message.opportunityId,
    kind: message.kind,
    channel: message.channel,
    status: "pending",
    integrationId: message.integrationId,
    data: message.data,
    createdAt: message.now,
    updatedAt: message.now,
  }).onConflictDoNothing();
}
