import { normaliseEmail } from "@plumbline/core";
import {
  applyDeliveryEvent,
  findOpportunityContact,
  findOutboundByProviderMessageId,
  findOutboundMessage,
  markWebhookEvent,
  type OutboundMessage,
} from "@plumbline/db";
import {
  InvalidMailEventError,
  parseMailgunEvent,
  parsePostmarkEvent,
  parseResendEvent,
  parseSendGridEvents,
  shouldApply,
  type MailEvent,
  type MailEventKind,
} from "@plumbline/integrations";
import { sha256Hex } from "../lib/crypto";
import { maskEmail } from "../logger";
import type { WebhookContext } from "../webhooks/dispatch";
import type { StoredWebhookEvent } from "./inbound";

/** A status write that lost a race with another event is decided again this many times before the queue retries. */
const MAX_APPLY_ATTEMPTS = 3;

const TIMELINE_TYPES: Record<Exclude<MailEventKind, "other">, string> = {
  delivered: "email.delivered",
  bounced_hard: "email.bounced",
  bounced_soft: "email.bounced",
  deferred: "email.deferred",
  opened: "email.opened",
  clicked: "email.clicked",
  unsubscribed: "email.unsubscribed",
  complained: "email.complained",
};

const MESSAGE_NAMES: Record<string, string> = {
  acknowledgement_email: "The acknowledgement",
  task_reminder: "The task reminder",
};

/**
 * Applies one stored delivery event to the outbound message it is about. It sets the delivery status in the
 * provider's order (see shouldApply) and adds a timeline entry. A hard bounce or complaint also suppresses the
 * address and sets an attention reason on the opportunity. An unreadable event is marked failed and an event about no message of
 * the firm is marked ignored, because retrying either cannot help. Database errors are thrown for the queue to
 * retry, and the dead-letter consumer marks the event failed once those retries run out.
 */
export async function processDeliveryEvent(context: WebhookContext, stored: StoredWebhookEvent): Promise<void> {
  const { db, logger, now } = context;
  const firmId = stored.firmId!;
  const ids = { firmId, webhookEventId: stored.id, provider: stored.provider };

  let event: MailEvent;
  try {
    event = readStoredEvent(stored);
  } catch (error) {
    if (!(error instanceof InvalidMailEventError) && !(error instanceof SyntaxError)) throw error;
    await markWebhookEvent(db, firmId, stored.id, "failed", error.message.slice(0, 500), now);
    logger.warn("delivery_event.unreadable", { ...ids, errorMessage: error.message.slice(0, 200) });
    return;
  }

  for (let attempt = 1; attempt <= MAX_APPLY_ATTEMPTS; attempt++) {
    const message = await findMessageFor(context, firmId, event);
    if (!message) {
      await markWebhookEvent(db, firmId, stored.id, "ignored", "no outbound message matches this event", now);
      logger.info("delivery_event.ignored", { ...ids, kind: event.kind });
      return;
    }

    const applies = shouldApply(message.deliveryStatusAt, (message.deliveryStatus as MailEventKind | null) ?? null, event);
    const written = await applyDeliveryEvent(db, await describeWrite(context, stored.id, message, event, applies));
    if (written) {
      logger.info("delivery_event.processed", { ...ids, outboundMessageId: message.id, kind: event.kind, applied: applies });
      return;
    }
  }
  throw new Error(`delivery event ${stored.id} lost ${MAX_APPLY_ATTEMPTS} races for its message's status`);
}

/** Parses the stored body with the provider's normaliser. The route stores one event per row, SendGrid's too. */
function readStoredEvent(stored: StoredWebhookEvent): MailEvent {
  const body: unknown = JSON.parse(stored.body);
  switch (stored.provider) {
    case "postmark-events":
      // The route stores a Postmark event under its trace id, or under the id parsePostmarkEvent builds without one.
      return parsePostmarkEvent(body, stored.providerEventId);
    case "resend-events":
      return parseResendEvent(body, stored.providerEventId);
    case "sendgrid-events": {
      const batch = parseSendGridEvents([body]);
      if (batch.invalid[0]) throw batch.invalid[0];
      return batch.events[0]!;
    }
    case "mailgun-events":
      return parseMailgunEvent(body);
    default:
      throw new Error(`no delivery event parser for ${stored.provider}`);
  }
}

/**
 * Finds the firm's message an event is about: by the id the provider's send call returned, or else by the
 * outbound message id Plumbline put in the send's metadata, when the provider echoes it. Both are looked up
 * within the stored event's firm only.
 */
async function findMessageFor(context: WebhookContext, firmId: string, event: MailEvent): Promise<OutboundMessage | null> {
  if (event.providerMessageId) {
    const byProviderId = await findOutboundByProviderMessageId(context.db, firmId, event.provider, event.providerMessageId);
    if (byProviderId) return byProviderId;
  }

  const outboundMessageId = event.metadata.outboundMessageId;
  if (!outboundMessageId) return null;
  const byMetadata = await findOutboundMessage(context.db, firmId, outboundMessageId.slice(0, 64));
  return byMetadata?.provider === event.provider ? byMetadata : null;
}

async function describeWrite(context: WebhookContext, webhookEventId: string, message: OutboundMessage, event: MailEvent, applies: boolean) {
  const { db, now } = context;
  const firmId = message.firmId;
  const opportunity = message.opportunityId ? await findOpportunityContact(db, firmId, message.opportunityId) : null;
  const blocksAddress = event.kind === "bounced_hard" || event.kind === "complained";
  const address = suppressionAddress(event, message);

  return {
    firmId,
    webhookEventId,
    message,
    status: applies ? { value: event.kind, at: event.occurredAt } : null,
    activity: opportunity && event.kind !== "other" ? await timelineEntry(message, opportunity, event) : null,
    suppression: blocksAddress && address ? { emailNormalised: address, reason: event.kind } : null,
    attention: blocksAddress && opportunity ? { opportunityId: opportunity.id, reason: attentionReason(message, event, address) } : null,
    now,
  };
}

/**
 * Builds the timeline entry. Its id comes from the message, kind and provider time, so a repeat of the event adds
 * nothing even when it arrives under another event id (Postmark without a trace id, for one).
 */
async function timelineEntry(message: OutboundMessage, opportunity: { id: string; contactId: string }, event: MailEvent) {
  const kind = event.kind as Exclude<MailEventKind, "other">;
  const digest = await sha256Hex(`${message.id}|${kind}|${event.occurredAt.getTime()}`);
  return {
    id: `act_dlv_${digest.slice(0, 32)}`,
    opportunityId: opportunity.id,
    contactId: opportunity.contactId,
    type: TIMELINE_TYPES[kind],
    origin: event.provider,
    occurredAt: event.occurredAt,
    data: {
      outboundMessageId: message.id,
      messageKind: message.kind,
      provider: event.provider,
      providerEvent: event.providerEvent,
      ...(kind === "bounced_hard" || kind === "bounced_soft" ? { bounce: kind === "bounced_hard" ? "hard" : "soft" } : {}),
      detail: event.detail ? event.detail.slice(0, 500) : null,
    },
  };
}

/** Returns the address to suppress: the event's recipient, normalised as enquiries are, or else the message's own recipient. */
function suppressionAddress(event: MailEvent, message: OutboundMessage): string | null {
  const normalised = event.recipient ? normaliseEmail(event.recipient) : null;
  if (normalised && typeof normalised === "object") return normalised.key;
  return message.recipient;
}

/** Writes the opportunity's attention reason. The address is masked, because the reason shows in lists. */
function attentionReason(message: OutboundMessage, event: MailEvent, address: string | null): string {
  const subject = `${MESSAGE_NAMES[message.kind] ?? "The email"} to ${maskEmail(address) ?? "the prospect"}`;
  return event.kind === "complained" ? `${subject} was reported as spam` : `${subject} bounced: address undeliverable`;
}
