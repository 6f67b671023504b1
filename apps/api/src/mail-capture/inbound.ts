import type { findWebhookEvent } from "@plumbline/db";
import type { WebhookContext } from "../webhooks/dispatch";

export type StoredWebhookEvent = NonNullable<Awaited<ReturnType<typeof findWebhookEvent>>>;

/** Files one stored inbound email on its opportunity's timeline. */
export async function processInboundEmail(context: WebhookContext, stored: StoredWebhookEvent): Promise<void> {
  // TODO: thread, classify and file the message; until then inbound mail stays stored as received.
  context.logger.warn("inbound_email.not_processed", { firmId: stored.firmId, webhookEventId: stored.id });
}
