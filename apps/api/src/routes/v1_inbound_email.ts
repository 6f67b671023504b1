import { newId } from "@plumbline/core";
import { findInboundIntegration, findWebhookEventByProviderId, markWebhookEvent, storeWebhookEvent } from "@plumbline/db";
import { checkSharedSecret, createMailgunVerifier, normaliseMailgunInbound, parseSendGridInbound, readMessageId, type InboundMessage, type SignatureCheck } from "@plumbline/integrations";
import type { Context, Hono } from "hono";
import type { HonoEnv } from "../context";
import { ApiError } from "../errors";
import { decryptSecret, sha256Hex } from "../lib/crypto";
import { bytesToBinaryString, ENVELOPE_TO_HEADER, MAX_STORED_BODY_BYTES, NORMALISED_EVENT_TYPE, storedByteLength } from "../mail-capture/inbound";

/**
 * Largest webhook body read, to bound a request's memory. Chosen here, above the message size limits that mail
 * servers commonly set, so a body this large is not a real email.
 */
const MAX_INBOUND_BYTES = 36 * 1024 * 1024;

type InboundProvider = "postmark" | "sendgrid" | "mailgun";

interface StoredForm {
  body: string;
  eventType: string;
  headers: Record<string, string>;
}

/**
 * Inbound mail webhooks: `POST /v1/inbound/postmark/{integrationId}?token=…` (JSON),
 * `POST /v1/inbound/sendgrid/{integrationId}?token=…` (multipart, read from the raw bytes so every charset
 * survives) and `POST /v1/inbound/mailgun/{integrationId}` (signed form fields). The secret or signature is checked
 * first (a missing or wrong one is 401, never 500), the message is stored under its Message-ID (a repeat
 * returns 200 "duplicate"), and the queue files it.
 */
export function registerInboundEmailRoutes(app: Hono<HonoEnv>) {
  app.post("/v1/inbound/postmark/:integrationId", async (c) => {
    const raw = await readBody(c);
    const integration = await loadIntegration(c, "postmark");
    await requireCheck(c, "postmark", integration.id, await checkSharedSecret(c.req.query("token"), integration.secret));

    const text = new TextDecoder().decode(raw);
    const json = parseJsonObject(text);
    const messageId = json ? postmarkMessageId(json) : null;
    const stored = json ? fitPostmark(text, json) : { body: text.slice(0, MAX_STORED_BODY_BYTES / 4), eventType: "unreadable", headers: {} };
    return storeAndQueue(c, integration.firmId, "postmark-inbound", messageId ?? `sha256:${await sha256Hex(text)}`, stored);
  });

  app.post("/v1/inbound/sendgrid/:integrationId", async (c) => {
    const raw = await readBody(c);
    const integration = await loadIntegration(c, "sendgrid");
    await requireCheck(c, "sendgrid", integration.id, await checkSharedSecret(c.req.query("token"), integration.secret));

    const contentType = c.req.header("content-type") ?? "";
    let message: InboundMessage | null = null;
    try {
      message = parseSendGridInbound(raw, contentType);
    } catch {
      // The body is stored anyway, under a hash of its bytes, and the queue consumer marks it failed. The raw bytes
      // stay in webhook_events for support.
    }
    const stored = fitMultipart(raw, contentType, message, null);
    const eventId = message?.messageId ?? `sha256:${await sha256Hex(bytesToBinaryString(raw))}`;
    return storeAndQueue(c, integration.firmId, "sendgrid-inbound", eventId, stored);
  });

  app.post("/v1/inbound/mailgun/:integrationId", async (c) => {
    const raw = await readBody(c);
    const integration = await loadIntegration(c, "mailgun");
    const contentType = c.req.header("content-type") ?? "";
    const form = await new Response(raw, { headers: { "content-type": contentType } }).formData().catch(() => null);
    const verify = createMailgunVerifier(integration.secret);
    await requireCheck(c, "mailgun", integration.id, form ? await verify(form) : { ok: false, reason: "missing" });

    const fields = form!;
    const messageHeaders = typeof fields.get("message-headers") === "string" ? (fields.get("message-headers") as string) : "[]";
    const messageId = mailgunMessageId(messageHeaders);
    const eventId = messageId ?? `sha256:${await sha256Hex(bytesToBinaryString(raw))}`;

    // A signed request stays valid for the whole tolerance window, so each token is accepted once, for one message.
    // A repeat of the same request returns "duplicate", so a resend with the old token is not retried for hours.
    const token = String(fields.get("token"));
    const { db } = c.get("services");
    const tokenStored = await storeWebhookEvent(db, {
      id: newId("whe"),
      firmId: integration.firmId,
      provider: "mailgun-token",
      providerEventId: token,
      eventType: "token",
      headers: {},
      body: eventId.slice(0, 1000),
      now: new Date(),
    });
    // The token row is a replay guard only, so it is closed at once and the cron never queues it.
    if (tokenStored) await markWebhookEvent(db, integration.firmId, tokenStored, "ignored", "mailgun token replay guard", new Date());
    if (!tokenStored) {
      const earlier = await findWebhookEventByProviderId(db, integration.firmId, "mailgun-token", token);
      if (earlier?.body === eventId.slice(0, 1000)) return c.json({ status: "duplicate" });
      c.get("services").logger.warn("inbound_email.token_replayed", { provider: "mailgun", integrationId: integration.id });
      throw new ApiError("unauthorized", "The webhook token was used before. Mailgun signs every request with a new token.");
    }

    const recipient = typeof fields.get("recipient") === "string" ? (fields.get("recipient") as string) : null;
    const stored = fitMultipart(raw, contentType, normaliseMailgunInbound(fields), recipient);
    return storeAndQueue(c, integration.firmId, "mailgun-inbound", eventId, stored);
  });
}

async function readBody(c: Context<HonoEnv>): Promise<Uint8Array> {
  const declared = Number(c.req.header("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > MAX_INBOUND_BYTES) throw new ApiError("payload_too_large", "The inbound email is larger than 36 MB.");
  const raw = new Uint8Array(await c.req.arrayBuffer());
  if (raw.byteLength > MAX_INBOUND_BYTES) throw new ApiError("payload_too_large", "The inbound email is larger than 36 MB.");
  return raw;
}

async function loadIntegration(c: Context<HonoEnv>, provider: InboundProvider) {
  const { db, env } = c.get("services");
  const integration = await findInboundIntegration(db, provider, c.req.param("integrationId")!.slice(0, 64));
  if (!integration) throw new ApiError("not_found", "No inbound mail integration at this URL. Copy the inbound URL again from Plumbline's settings.");
  return { id: integration.id, firmId: integration.firmId, secret: await decryptSecret(env.ENCRYPTION_KEY, integration.secretEncrypted) };
}

async function requireCheck(c: Context<HonoEnv>, provider: InboundProvider, integrationId: string, check: SignatureCheck): Promise<void> {
  if (check.ok) return;
  c.get("services").logger.warn("inbound_email.auth_rejected", { provider, integrationId, reason: check.reason });
  const what = provider === "mailgun" ? "signature" : "token";
  throw new ApiError("unauthorized", `The webhook ${what} is ${check.reason === "stale" ? "too old or from the future" : "missing or invalid"}.`);
}

async function storeAndQueue(c: Context<HonoEnv>, firmId: string, provider: string, messageEventId: string, stored: StoredForm) {
  const { db, env, logger } = c.get("services");
  const now = new Date();
  // The unique index on provider events spans every firm, and two firms may receive the same email.
  const storedId = await storeWebhookEvent(db, {
    id: newId("whe", now.getTime()),
    firmId,
    provider,
    providerEventId: `${firmId}:${messageEventId.slice(0, 900)}`,
    eventType: stored.eventType,
    headers: stored.headers,
    body: stored.body,
    now,
  });
  if (!storedId) return c.json({ status: "duplicate" });

  try {
    await env.FOLLOW_UP_QUEUE.send({ kind: "webhook", webhookEventId: storedId, firmId });
  } catch (error) {
    // The event is stored as received, and the cron queues received events that waited too long.
    logger.error("inbound_email.queue_failed", error, { provider, webhookEventId: storedId, firmId });
  }
  return c.json({ status: "received" });
}

function parseJsonObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Reads the sender's Message-ID from Postmark's `Headers`, or else Postmark's own `MessageID`. */
function postmarkMessageId(json: Record<string, unknown>): string | null {
  const headers = Array.isArray(json.Headers) ? (json.Headers as Array<{ Name?: unknown; Value?: unknown }>) : [];
  const header = headers.find((entry) => typeof entry.Name === "string" && entry.Name.toLowerCase() === "message-id");
  const fromHeader = typeof header?.Value === "string" ? readMessageId(header.Value) : null;
  if (fromHeader) return fromHeader;
  return typeof json.MessageID === "string" && json.MessageID.trim() !== "" ? `postmark:${json.MessageID.trim()}` : null;
}

/** Reads the Message-ID from Mailgun's `message-headers` JSON of `[name, value]` pairs. */
function mailgunMessageId(messageHeaders: string): string | null {
  try {
    const pairs: unknown = JSON.parse(messageHeaders);
    if (!Array.isArray(pairs)) return null;
    const pair = pairs.find((entry): entry is [string, string] => Array.isArray(entry) && String(entry[0]).toLowerCase() === "message-id" && typeof entry[1] === "string");
    return pair ? readMessageId(pair[1]) : null;
  } catch {
    return null;
  }
}

/**
 * Stores Postmark's JSON without attachment contents, and without the raw email that repeats them. Attachments are
 * recorded by name, type and size only, so their bytes stay out of D1. A JSON too large for one D1 value is cut.
 */
function fitPostmark(text: string, json: Record<string, unknown>): StoredForm {
  const headers = { "content-type": "application/json" };
  const attachments = Array.isArray(json.Attachments) ? (json.Attachments as Array<Record<string, unknown>>) : [];
  const withoutContent = {
    ...json,
    ...(attachments.length > 0 ? { RawEmail: undefined } : {}),
    // The queue consumer reads the attachment size from the stored form, so the size stays when the content goes.
    Attachments: attachments.map((attachment) => ({ ...attachment, Content: undefined, ContentLength: attachment.ContentLength ?? decodedSizeOf(attachment.Content) })),
  };
  const stripped = attachments.length > 0 && (json.RawEmail !== undefined || attachments.some((attachment) => attachment.Content !== undefined));
  let body = stripped ? JSON.stringify(withoutContent) : text;
  if (storedByteLength(body) <= MAX_STORED_BODY_BYTES) return { body, eventType: "inbound", headers };

  const slim = { ...withoutContent, RawEmail: undefined };
  body = JSON.stringify(slim);
  if (storedByteLength(body) > MAX_STORED_BODY_BYTES) body = JSON.stringify({ ...slim, HtmlBody: "", TextBody: String(json.TextBody ?? "").slice(0, 400_000) });
  return { body, eventType: "inbound", headers: { ...headers, "x-plumbline-stored": "raw email removed to fit storage" } };
}

/** Counts the bytes a base64 string decodes to, without decoding it. */
function decodedSizeOf(content: unknown): number {
  if (typeof content !== "string") return 0;
  const clean = content.replace(/[^A-Za-z0-9+/]/g, "");
  return Math.floor((clean.length * 3) / 4);
}

/**
 * Keeps a multipart body byte for byte when it fits in one D1 value. A larger one (its attachments, in practice)
 * is stored as the normalised message instead, which keeps the text, headers and attachment descriptions.
 */
function fitMultipart(raw: Uint8Array, contentType: string, parsed: InboundMessage | null, envelopeTo: string | null): StoredForm {
  const headers: Record<string, string> = { "content-type": contentType, ...(envelopeTo ? { [ENVELOPE_TO_HEADER]: envelopeTo } : {}) };
  const body = bytesToBinaryString(raw);
  if (storedByteLength(body) <= MAX_STORED_BODY_BYTES) return { body, eventType: "inbound", headers };
  // An unreadable body too large to keep is cut, so its start stays available for support. The consumer marks it failed.
  if (!parsed) return { body: body.slice(0, MAX_STORED_BODY_BYTES / 2), eventType: "unreadable", headers };

  const slim = { ...parsed, html: "", text: parsed.text.slice(0, 400_000) };
  return { body: JSON.stringify(slim), eventType: NORMALISED_EVENT_TYPE, headers };
}
