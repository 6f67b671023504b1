import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { createdAt, firmId, instant, json, updatedAt } from "./columns";
import { firms } from "./tenancy";

export const OUTBOUND_STATUSES = ["pending", "sending", "sent", "failed", "skipped"] as const;
export type OutboundStatus = (typeof OUTBOUND_STATUSES)[number];

/**
 * The outbox: every message Plumbline owes someone, written in the same batch as the event that owes it and
 * performed later by the queue consumer, so a provider outage delays a message but never loses it.
 */
export const outboundMessages = sqliteTable(
  "outbound_messages",
  {
    id: text("id").primaryKey(),
    firmId: firmId().references(() => firms.id),
    opportunityId: text("opportunity_id"),
    /** Message type: `acknowledgement_email`, `partner_alert`, `task_reminder`, `task_escalation`. */
    kind: text("kind").notNull(),
    /** Delivery channel: `email` or `chat` (Slack or Teams, chosen by the integration). */
    channel: text("channel").notNull(),
    status: text("status", { enum: OUTBOUND_STATUSES }).notNull(),
    /** Reason a message was not sent, for `skipped` (such as `no address`) and `failed`. */
    statusReason: text("status_reason"),
    /** Recipient as the provider needs it; for email the normalised address. */
    recipient: text("recipient"),
    /** The integration that sends it; null until chosen, or when the local outbox is used. */
    integrationId: text("integration_id"),
    provider: text("provider"),
    providerMessageId: text("provider_message_id"),
    /** Our own RFC 5322 Message-ID for emails, so replies can be threaded. */
    messageIdHeader: text("message_id_header"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    /** Inputs the renderer needs beyond the linked records. */
    data: json<Record<string, unknown>>("data").notNull(),
    /** When the message was last put on the queue; null until then, so the cron can find ones never queued. */
    queuedAt: instant("queued_at"),
    nextAttemptAt: instant("next_attempt_at"),
    /** The latest delivery event applied (delivered, bounced …) and the provider's time for it. */
    deliveryStatus: text("delivery_status"),
    deliveryStatusAt: instant("delivery_status_at"),
    sentAt: instant("sent_at"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    index("outbound_status_queued_idx").on(table.status, table.queuedAt),
    index("outbound_firm_status_idx").on(table.firmId, table.status, table.createdAt),
    // Ends in the list order, so one opportunity's messages come from the index newest first.
    index("outbound_firm_opportunity_idx").on(table.firmId, table.opportunityId, table.status, table.createdAt, table.id),
    index("outbound_firm_recipient_idx").on(table.firmId, table.recipient, table.createdAt),
    index("outbound_integration_status_idx").on(table.integrationId, table.status, table.createdAt),
    index("outbound_firm_message_id_idx").on(table.firmId, table.messageIdHeader),
    index("outbound_provider_message_idx").on(table.provider, table.providerMessageId),
  ],
);
