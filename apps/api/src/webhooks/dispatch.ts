import { findWebhookEvent, type Database } from "@plumbline/db";
import { processBookingWebhook } from "../bookings/process";
import type { AppEnv } from "../env";
import type { Logger } from "../logger";
import { processInboundEmail } from "../mail-capture/inbound";
import { processDeliveryEvent } from "../mail-capture/delivery-events";

export interface WebhookContext {
  env: AppEnv;
  db: Database;
  logger: Logger;
  now: Date;
}

/** Providers of stored webhook events, by what processes them. */
export const BOOKING_PROVIDERS = ["calcom", "calendly"] as const;
/** Inbound mail as stored: `<provider>-inbound` for webhooks, `email-worker` for Cloudflare Email Workers. */
export const INBOUND_PROVIDERS = ["postmark-inbound", "sendgrid-inbound", "mailgun-inbound", "email-worker"] as const;
/** Delivery and engagement events of the mail providers. */
export const DELIVERY_EVENT_PROVIDERS = ["postmark-events", "resend-events", "sendgrid-events", "mailgun-events"] as const;

/** Processes one stored webhook event from the queue, by its provider. Already processed events change nothing. */
export async function processWebhookEvent(context: WebhookContext, firmId: string, webhookEventId: string): Promise<void> {
  const stored = await findWebhookEvent(context.db, firmId, webhookEventId);
  if (!stored || stored.status !== "received") return;

  const provider = stored.provider;
  if ((BOOKING_PROVIDERS as readonly string[]).includes(provider)) return processBookingWebhook(context, firmId, webhookEventId);
  if ((INBOUND_PROVIDERS as readonly string[]).includes(provider)) return processInboundEmail(context, stored);
  if ((DELIVERY_EVENT_PROVIDERS as readonly string[]).includes(provider)) return processDeliveryEvent(context, stored);
  context.logger.warn("webhook.unknown_provider", { firmId, webhookEventId, provider });
}
