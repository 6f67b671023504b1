import { createDatabase, findOutboundMessage } from "@plumbline/db";
import { z } from "zod";
import type { AppEnv, FollowUpMessage } from "../env";
import type { Logger } from "../logger";

const followUpMessageSchema = z.object({
  kind: z.literal("outbound"),
  outboundMessageId: z.string().min(1).max(64),
  firmId: z.string().min(1).max(64),
});

/**
 * Consumes the follow-up queue. Each message names one outbox row, which is loaded fresh so a retried or
 * duplicated message acts on the current state.
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
      const row = await findOutboundMessage(db, body.firmId, body.outboundMessageId);
      if (!row) {
        logger.warn("follow_up.message_missing", { firmId: body.firmId, outboundMessageId: body.outboundMessageId });
        message.ack();
        continue;
      }
      // TODO: perform the send through the firm's mail and chat integrations; until then rows stay pending.
      logger.info("follow_up.received", { firmId: row.firmId, outboundMessageId: row.id, kind: row.kind, attempt: message.attempts });
      message.ack();
    } catch (error) {
      logger.error("follow_up.failed", error, { firmId: body.firmId, outboundMessageId: body.outboundMessageId, attempt: message.attempts });
      message.retry({ delaySeconds: Math.min(2 ** message.attempts * 10, 3600) });
    }
  }
}

/** Records messages that used up their retries. The outbox row itself keeps the message for a manual retry. */
export async function consumeDeadLetters(batch: MessageBatch<FollowUpMessage>, logger: Logger): Promise<void> {
  for (const message of batch.messages) {
    logger.error("follow_up.dead_letter", new Error("retries exhausted"), {
      firmId: message.body.firmId,
      outboundMessageId: message.body.outboundMessageId,
    });
    message.ack();
  }
}
