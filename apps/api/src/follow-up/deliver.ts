import { claimOutboundMessage, markIntegrationNeedsAttention, recordOutcome, type Database, type OutboundMessage } from "@plumbline/db";
import type { AppEnv } from "../env";
import type { Logger } from "../logger";
import { deliverAcknowledgement } from "./acknowledgement";
import { applyStageEvent } from "../pipeline/apply";
import type { DeliveryResult } from "./outcome";
import { deliverMeetingNotice, deliverPartnerAlert } from "./partner-alert";
import { deliverTaskNotice } from "./task-notices";

export interface DeliveryContext {
  env: AppEnv;
  db: Database;
  logger: Logger;
  now: Date;
  /** The queue delivery attempt, 1 for the first. */
  attempt: number;
}

/** Instruction to the queue consumer: acknowledge the message, or retry it after a delay. */
export type QueueAction = { ack: true } | { ack: false; delaySeconds: number };

/**
 * Performs one owed message: claims its row (a duplicate queue delivery finds nothing to claim), sends it
 * through the firm's integration and records the result on the row and the opportunity's timeline.
 */
export async function deliverOutboundMessage(context: DeliveryContext, firmId: string, outboundMessageId: string): Promise<QueueAction> {
  const { db, logger, now } = context;
  const row = await claimOutboundMessage(db, firmId, outboundMessageId, now);
  if (!row) {
    logger.info("follow_up.nothing_to_claim", { firmId, outboundMessageId });
    return { ack: true };
  }

  let rows: OutboundMessage[] = [row];
  let result: DeliveryResult;
  switch (row.kind) {
    case "acknowledgement_email":
      result = await deliverAcknowledgement(context, row);
      break;
    case "partner_alert": {
      const alert = await deliverPartnerAlert(context, row);
      rows = alert.rows;
      result = alert.result;
      break;
    }
    case "meeting_notice":
      result = await deliverMeetingNotice(context, row);
      break;
    case "task_reminder":
    case "task_escalation":
      result = await deliverTaskNotice(context, row);
      break;
    default:
      result = { kind: "failed", reason: `unknown message kind ${row.kind}` };
  }

  await record(context, firmId, rows, result);
  if (result.kind === "sent" && row.kind === "acknowledgement_email" && row.opportunityId) {
    await applyStageEvent(context.db, context.logger, firmId, row.opportunityId, { type: "acknowledgement_sent", at: context.now, source: result.provider });
  }
  logger.info("follow_up.delivered", {
    firmId,
    outboundMessageId: row.id,
    kind: row.kind,
    outcome: result.kind,
    count: rows.length,
    attempt: context.attempt,
  });
  return result.kind === "retry" ? { ack: false, delaySeconds: result.delaySeconds } : { ack: true };
}

async function record(context: DeliveryContext, firmId: string, rows: OutboundMessage[], result: DeliveryResult): Promise<void> {
  const { db, now } = context;
  switch (result.kind) {
    case "sent":
      await recordOutcome(db, firmId, rows, {
        status: "sent",
        provider: result.provider,
        providerMessageId: result.providerMessageId,
        messageIdHeader: result.messageIdHeader ?? null,
        ...(result.data ? { data: result.data } : {}),
      }, now);
      return;
    case "skipped":
      await recordOutcome(db, firmId, rows, { status: "skipped", statusReason: result.reason }, now);
      return;
    case "retry":
      await recordOutcome(db, firmId, rows, {
        status: "pending",
        lastError: result.error,
        nextAttemptAt: new Date(now.getTime() + result.delaySeconds * 1000),
      }, now);
      return;
    case "failed":
      await recordOutcome(db, firmId, rows, { status: "failed", statusReason: result.reason, lastError: result.reason }, now);
      if (result.needsAttention) {
        await markIntegrationNeedsAttention(db, firmId, result.needsAttention.integrationId, result.needsAttention.reason, now);
        context.logger.warn("integration.needs_attention", { firmId, integrationId: result.needsAttention.integrationId });
      }
      return;
  }
}
