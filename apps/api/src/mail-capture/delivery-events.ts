import type { WebhookContext } from "../webhooks/dispatch";
import type { StoredWebhookEvent } from "./inbound";

/** Applies one stored delivery event to the outbound message it is about. */
export async function processDeliveryEvent(context: WebhookContext, stored: StoredWebhookEvent): Promise<void> {
  // TODO: apply the event in provider order; until then delivery events stay stored as received.
  context.logger.warn("delivery_event.not_processed", { firmId: stored.firmId, webhookEventId: stored.id });
}
