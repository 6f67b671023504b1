import { newId } from "@plumbline/core";
import { createDatabase, findFirmIdBySlug, findOpportunityByReplyToken, storeWebhookEvent, type Database } from "@plumbline/db";
import { readMessageId } from "@plumbline/integrations";
import type { AppEnv } from "../env";
import { sha256Hex } from "../lib/crypto";
import type { Logger } from "../logger";
import { bytesToBinaryString, ENVELOPE_TO_HEADER, MAX_STORED_BODY_BYTES, storedByteLength } from "./inbound";

/**
 * Largest message the handler reads. A Worker has 128 MB of memory and the stored copy is cut to under 2 MB
 * anyway, so larger messages are rejected with a reason. The value is this project's choice.
 */
export const MAX_RAW_EMAIL_BYTES = 10 * 1024 * 1024;

/** Written after a stored message that was cut to fit one D1 value. */
const TRUNCATION_NOTE = "\r\n\r\n[Plumbline stored only the start of this message, because it was larger than the 2 MB storage limit.]\r\n";

/**
 * The parts of Cloudflare's ForwardableEmailMessage the handler uses, so tests can pass a plain object.
 */
export type IncomingEmail = Pick<ForwardableEmailMessage, "from" | "to" | "headers" | "raw" | "rawSize" | "setReject">;

/**
 * Handles one message that Cloudflare Email Routing delivered to the Worker. The envelope recipient chooses the
 * firm: `reply+<token>@INBOUND_EMAIL_DOMAIN` is an opportunity's reply address, and `firm+<firm slug>@INBOUND_EMAIL_DOMAIN`
 * is the firm's own capture address for BCC and forwarding. The raw message is stored under its Message-ID (a
 * repeat stores nothing) and queued. An unknown recipient or an oversized message is rejected, which makes the
 * sending server return a bounce to the sender.
 */
export async function handleIncomingEmail(message: IncomingEmail, env: AppEnv, logger: Logger, now: Date = new Date()): Promise<void> {
  const db = createDatabase(env.DB);

  if (message.rawSize > MAX_RAW_EMAIL_BYTES) {
    logger.warn("email_worker.too_large", { rawSize: message.rawSize });
    message.setReject(`Message too large: Plumbline accepts up to ${MAX_RAW_EMAIL_BYTES / (1024 * 1024)} MB.`);
    return;
  }

  const firmId = await firmForRecipient(db, message.to, env.INBOUND_EMAIL_DOMAIN);
  if (!firmId) {
    logger.warn("email_worker.unknown_recipient", { domain: message.to.slice(message.to.lastIndexOf("@") + 1) });
    message.setReject("Unknown recipient: this address does not belong to any Plumbline opportunity or firm.");
    return;
  }

  const raw = new Uint8Array(await new Response(message.raw).arrayBuffer());
  const body = fitRawMessage(raw);
  const messageId = readMessageId(message.headers.get("message-id"));
  const eventId = messageId ?? `sha256:${await sha256Hex(body.text)}`;

  const storedId = await storeWebhookEvent(db, {
    id: newId("whe", now.getTime()),
    firmId,
    provider: "email-worker",
    providerEventId: `${firmId}:${eventId.slice(0, 900)}`,
    eventType: "inbound",
    headers: { "content-type": "message/rfc822", [ENVELOPE_TO_HEADER]: message.to, ...(body.truncated ? { "x-plumbline-stored": `first part of ${raw.byteLength} bytes` } : {}) },
    body: body.text,
    now,
  });
  if (!storedId) {
    logger.info("email_worker.duplicate", { firmId });
    return;
  }

  try {
    await env.FOLLOW_UP_QUEUE.send({ kind: "webhook", webhookEventId: storedId, firmId });
  } catch (error) {
    // The event is stored as received, and the cron queues received events that waited too long.
    logger.error("email_worker.queue_failed", error, { firmId, webhookEventId: storedId });
  }
  logger.info("email_worker.received", { firmId, webhookEventId: storedId, rawSize: raw.byteLength, truncated: body.truncated });
}

/** Finds the firm of a capture address, or null when the address is not one of Plumbline's. */
async function firmForRecipient(db: Database, recipient: string, inboundDomain: string): Promise<string | null> {
  const match = /^(reply|firm)\+([a-z0-9_-]{1,100})@(.+)$/i.exec(recipient.trim());
  if (!match || match[3]!.toLowerCase() !== inboundDomain.toLowerCase()) return null;

  const value = match[2]!.toLowerCase();
  if (match[1]!.toLowerCase() === "firm") return findFirmIdBySlug(db, value);
  const opportunity = await findOpportunityByReplyToken(db, value);
  return opportunity?.firmId ?? null;
}

/**
 * Returns the raw message as a one-character-per-byte string that fits in one D1 value. A larger message keeps its
 * start, followed by a note. The header block comes first, so threading still works unless the headers alone
 * exceed the limit.
 */
function fitRawMessage(raw: Uint8Array): { text: string; truncated: boolean } {
  const text = bytesToBinaryString(raw);
  if (storedByteLength(text) <= MAX_STORED_BODY_BYTES) return { text, truncated: false };

  // Each character takes at most two UTF-8 bytes here, so half the limit in characters always fits.
  const keep = Math.floor((MAX_STORED_BODY_BYTES - TRUNCATION_NOTE.length) / 2);
  return { text: `${text.slice(0, keep)}${TRUNCATION_NOTE}`, truncated: true };
}
