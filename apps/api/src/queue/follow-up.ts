import { createDatabase, markMessageExhausted, markWebhookEvent, recordOutcome } from "@plumbline/db";
import { z } from "zod";
import { processWebhookEvent } from "../webhooks/dispatch";
import type { AppEnv, FollowUpMessage } from "../env";
import { deliverOutboundMessage } from "../follow-up/deliver";
import type { Logger } from "../logger";

const followUpMessageSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("outbound"), outboundMessageId: z.string().min(1).max(64), firmId: z.string().min(1).max(64) }),
  z.object({ kind: z.literal("webhook"), webhookEventId: z.string().min(1).max(64), firmId: z.string().min(1).max(64) }),
]);

function idsOf(body: z.infer<typeof followUpMessageSchema>) {
  return body.kind === "outbound" ? { firmId: body.firmId, outboundMessageId: body.outboundMessageId } : { firmId: body.firmId, webhookEventId: body.webhookEventId };
}

/**
 * Consumes the follow-up queue: owed messages to send, and stored webhooks to process. Each message names one
 * row, which is claimed and loaded fresh, so a retried or duplicated queue message acts on the current state.
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
      if (body.kind === "webhook") {
        await processWebhookEvent({ env, db, logger, now: new Date() }, body.firmId, body.webhookEventId);
        message.ack();
        continue;
      }
      const action = await deliverOutboundMessage({ env, db, logger, now: new Date(), attempt: message.attempts }, body.firmId, body.outboundMessageId);
      if (action.ack) message.ack();
      else message.retry({ delaySeconds: action.delaySeconds });
    } catch (error) {
      logger.error("follow_up.failed", error, { ...idsOf(body), attempt: message.attempts });
      message.retry({ delaySeconds: Math.min(2 ** message.attempts * 10, 3600) });
    }
  }
}

/**
 * Records messages whose retries ran out as failed, on the row (and the timeline for owed messages), so they
 * show in the failed lists and can be retried. A row already finished is left alone.
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
    const body = parsed.data;
    try {
      const now = new Date();
      let recorded = false;
      if (body.kind === "outbound") {
        const row = await markMessageExhausted(db, body.firmId, body.outboundMessageId, now);
        if (row) await recordOutcome(db, body.firmId, [row], { status: "failed", statusReason: "retries exhausted", lastError: row.lastError }, now);
        recorded = row !== null;
      } else {
        await markWebhookEvent(db, body.firmId, body.webhookEventId, "failed", "retries exhausted", now);
        recorded = true;
      }
      logger.error("follow_up.dead_letter", new Error("retries exhausted"), { ...idsOf(body), recorded });
      message.ack();
    } catch (error) {
      logger.error("follow_up.dead_letter_failed", error, idsOf(body));
      message.retry({ delaySeconds: 60 });
    }
  }
}
