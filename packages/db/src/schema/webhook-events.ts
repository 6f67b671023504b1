import { index, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { instant, json } from "./columns";
import { firms } from "./tenancy";

export const WEBHOOK_EVENT_STATUSES = ["received", "processed", "ignored", "failed"] as const;

/**
 * Provider webhooks stored raw before any processing, keyed by the provider's event id so that a repeat changes
 * nothing. `firmId` is null while the event is not yet tied to a firm.
 */
export const webhookEvents = sqliteTable(
  "webhook_events",
  {
    id: text("id").primaryKey(),
    firmId: text("firm_id").references(() => firms.id),
    provider: text("provider").notNull(),
    providerEventId: text("provider_event_id").notNull(),
    eventType: text("event_type"),
    headers: json<Record<string, string>>("headers").notNull(),
    body: text("body").notNull(),
    status: text("status", { enum: WEBHOOK_EVENT_STATUSES }).notNull(),
    error: text("error"),
    receivedAt: instant("received_at").notNull(),
    processedAt: instant("processed_at"),
  },
  (table) => [
    uniqueIndex("webhook_events_provider_event_unique").on(table.provider, table.providerEventId),
    index("webhook_events_firm_received_idx").on(table.firmId, table.receivedAt),
    index("webhook_events_status_idx").on(table.status, table.receivedAt),
  ],
);
