import { and, asc, eq, isNull, lt } from "drizzle-orm";
import type { Database } from "../client";
import { outboundMessages } from "../schema";

/**
 * Finds owed messages that were written but never put on the queue (the send after the write failed or the
 * Worker stopped), oldest first. Not scoped to one firm: the cron serves every firm.
 */
export async function findUnqueuedMessages(db: Database, writtenBefore: Date, limit: number) {
  return db
    .select({ id: outboundMessages.id, firmId: outboundMessages.firmId })
    .from(outboundMessages)
    .where(and(eq(outboundMessages.status, "pending"), isNull(outboundMessages.queuedAt), lt(outboundMessages.createdAt, writtenBefore)))
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
