import { createDatabase, markMessageExhausted, recordOutcome } from "@plumbline/db";
import { z } from "zod";
import type { AppEnv, FollowUpMessage } from "../env";
import { deliverOutboundMessage } from "../follow-up/deliver";
import type { Logger } from "../logger";

const followUpMessageSchema = z.object({
  kind: z.literal("outbound"),
  outboundMessageId: z.string().min(1).max(64),
  firmId: z.string().min(1).max(64),
});

/**
 * Consumes the follow-up queue. Each message names one outbox row, which is claimed and loaded fresh, so a
 * retried or duplicated queue message acts on the current state and never sends twice.
 */
export async function consumeFollowUps(batch: MessageBatch<FollowUpMessage>, env: AppEnv, logger: Logger): Promise<void> {
  const db = createDatabase(env.DB);
  for (const message of batch.messages) {
    const parsed = followUpMessageSchema.safeParse(message.body);
    if (!parsed.success) {
      // A body of the wrong shape can never succeed, so retrying it would only delay the dead-letter record.
      logger.error("follow_up.malformed_message", parsed.error, { messageId: message.id });
      message.ack();
      continue;
    }
    const body = parsed.data;

    try {
      const action = await deliverOutboundMessage({ env, db, logger, now: new Date(), attempt: message.attempts }, body.firmId, body.outboundMessageId);
      if (action.ack) message.ack();
      else message.retry({ delaySeconds: action.delaySeconds });
    } catch (error) {
      logger.error("follow_up.failed", error, { firmId: body.firmId, outboundMessageId: body.outboundMessageId, attempt: message.attempts });
      message.retry({ delaySeconds: Math.min(2 ** message.attempts * 10, 3600) });
    }
  }
}

/**
 * Records messages whose retries ran out as failed, on the row and the timeline, so they show in the failed list
 * and can be retried through the API. A row already finished is left alone.
 */
export async function consumeDeadLetters(batch: MessageBatch<FollowUpMessage>, env: AppEnv, logger: Logger): Promise<void> {
  const db = createDatabase(env.DB);
  for (const message of batch.messages) {
    const parsed = followUpMessageSchema.safeParse(message.body);
    if (!parsed.success) {
      logger.error("follow_up.dead_letter_malformed", parsed.error, { messageId: message.id });
      message.ack();
      continue;
    }
    const { firmId, outboundMessageId } = parsed.data;
    try {
      const now = new Date();
      const row = await markMessageExhausted(db, firmId, outboundMessageId, now);
      if (row) await recordOutcome(db, firmId, [row], { status: "failed", statusReason: "retries exhausted", lastError: row.lastError }, now);
      logger.error("follow_up.dead_letter", new Error("retries exhausted"), { firmId, outboundMessageId, recorded: row !== null });
      message.ack();
    } catch (error) {
      logger.error("follow_up.dead_letter_failed", error, { firmId, outboundMessageId });
      message.retry({ delaySeconds: 60 });
    }
  }
}
