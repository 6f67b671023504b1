import { newId } from "@plumbline/core";
import { findMailEventsIntegration, forgetMailgunToken, recordMailgunToken, storeWebhookEvents, type Integration } from "@plumbline/db";
import {
  checkBasicAuth,
  checkSharedSecret,
  createMailgunVerifier,
  createResendVerifier,
  createSendGridVerifier,
  MailConfigError,
  parseMailgunEvent,
  parsePostmarkEvent,
  parseResendEvent,
  SENDGRID_SIGNATURE_HEADER,
  SENDGRID_TIMESTAMP_HEADER,
  type MailEventProvider,
  type SignatureCheck,
} from "@plumbline/integrations";
import type { Context, Hono } from "hono";
import type { HonoEnv } from "../context";
import { ApiError } from "../errors";
import { decryptSecret, sha256Hex } from "../lib/crypto";

/** SendGrid posts batches of events in one request, so its cap sets the size limit for all four providers. */
const MAX_WEBHOOK_BYTES = 1024 * 1024;

/**
 * SendGrid retries for up to 24 hours, and whether it signs each retry anew is unconfirmed, so its timestamps are
 * accepted for a little longer than that. The window still bounds how long a captured request can be replayed.
 */
const SENDGRID_TOLERANCE_SECONDS = 25 * 60 * 60;

/** Postmark's Basic auth user name when the integration sets none. Only the password is secret. */
const DEFAULT_BASIC_AUTH_USER = "postmark";

/** Cloudflare Queues takes at most 100 messages (and 256 KB) in one sendBatch call. */
const QUEUE_BATCH_LIMIT = 100;

/**
 * Headers kept with each stored event, for support. Signature headers are kept so a delivery can be checked again.
 * Authorization is never kept, because for Postmark it carries the shared secret.
 */
const KEPT_HEADERS = [
  "content-type",
  "user-agent",
  "x-pm-webhook-trace-id",
  "svix-id",
  "svix-timestamp",
  "svix-signature",
  SENDGRID_SIGNATURE_HEADER.toLowerCase(),
  SENDGRID_TIMESTAMP_HEADER.toLowerCase(),
];

type RouteProvider = `${MailEventProvider}-events`;

/** One event as the route stores it: the provider's event id and the text of that event alone. */
interface ReceivedEvent {
  providerEventId: string;
  eventType: string;
  body: string;
}

type HandlerContext = Context<HonoEnv>;

/**
 * `POST /v1/webhooks/{postmark|resend|sendgrid|mailgun}-events/{integrationId}`: a mail provider's delivery and
 * engagement events. The request is authenticated on its raw bytes (any failure is 401, never 500), each event is
 * stored raw under the provider's event id (a repeat gets 200 "duplicate"), and the queue does the work.
 */
export function registerMailEventWebhooks(app: Hono<HonoEnv>) {
  app.post("/v1/webhooks/:provider{postmark-events|resend-events|sendgrid-events|mailgun-events}/:integrationId", async (c) => {
    const services = c.get("services");
    const routeProvider = c.req.param("provider") as RouteProvider;
    const provider = routeProvider.slice(0, -"-events".length) as MailEventProvider;
    const now = new Date();

    const raw = await readCappedBody(c);
    const integration = await findMailEventsIntegration(services.db, provider, c.req.param("integrationId").slice(0, 64));
    if (!integration) throw new ApiError("not_found", "No mail events integration at this URL. Copy the webhook URL again from Plumbline's settings.");
    const secret = await decryptSecret(services.env.ENCRYPTION_KEY, integration.secretEncrypted);
    const logFields = { provider: routeProvider, integrationId: integration.id, firmId: integration.firmId };

    const text = new TextDecoder().decode(raw);
    const json = parseJson(text);
    const verified = await authenticate(c, provider, integration, secret, raw, json, now);
    if (!verified.ok) {
      services.logger.warn("webhook.signature_rejected", { ...logFields, reason: verified.reason });
      throw new ApiError("unauthorized", `The webhook signature is ${verified.reason === "stale" ? "too old or from the future" : "missing or invalid"}.`);
    }

    // Mailgun signs only its timestamp and token, not the body, so a captured signature would pass with any body
    // until it goes stale. Each token is accepted once.
    const mailgunToken = provider === "mailgun" ? readMailgunToken(json) : null;
    if (mailgunToken !== null && !(await recordMailgunToken(services.db, { id: newId("whe", now.getTime()), firmId: integration.firmId, token: mailgunToken, now }))) {
      services.logger.warn("webhook.signature_rejected", { ...logFields, reason: "replayed" });
      throw new ApiError("unauthorized", "The webhook signature token was used before.");
    }

    let storedIds: string[];
    let received: ReceivedEvent[];
    try {
      received = await splitEvents(c, provider, text, json);
      const headers = Object.fromEntries(KEPT_HEADERS.flatMap((name) => (c.req.header(name) ? [[name, c.req.header(name)!]] : [])));
      storedIds = await storeWebhookEvents(
        services.db,
        received.map((event) => ({ id: newId("whe", now.getTime()), firmId: integration.firmId, provider: routeProvider, headers, ...event })),
        now,
      );
    } catch (error) {
      // Mailgun retries a failed request with the same token, which must then pass.
      if (mailgunToken !== null) await forgetMailgunToken(services.db, integration.firmId, mailgunToken);
      throw error;
    }
    if (storedIds.length === 0) return c.json({ status: "duplicate" });

    try {
      for (let start = 0; start < storedIds.length; start += QUEUE_BATCH_LIMIT) {
        const chunk = storedIds.slice(start, start + QUEUE_BATCH_LIMIT);
        await services.env.FOLLOW_UP_QUEUE.sendBatch(chunk.map((webhookEventId) => ({ body: { kind: "webhook" as const, webhookEventId, firmId: integration.firmId } })));
      }
    } catch (error) {
      // The events are stored as received, and the cron queues received events that waited too long.
      services.logger.error("webhook.queue_failed", error, { ...logFields, count: storedIds.length });
    }
    services.logger.info("webhook.mail_events_received", { ...logFields, events: received.length, stored: storedIds.length });
    return c.json({ status: "received", stored: storedIds.length, duplicates: received.length - storedIds.length });
  });
}

async function readCappedBody(c: HandlerContext): Promise<Uint8Array> {
  const declared = Number(c.req.header("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > MAX_WEBHOOK_BYTES) throw new ApiError("payload_too_large", "The webhook body is larger than 1 MB.");
  const raw = new Uint8Array(await c.req.arrayBuffer());
  if (raw.byteLength > MAX_WEBHOOK_BYTES) throw new ApiError("payload_too_large", "The webhook body is larger than 1 MB.");
  return raw;
}

/** Parses JSON text, returning undefined for anything that is not JSON, because a bad body is still stored. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Checks the request's credentials with the provider's scheme. A secret stored in a shape the verifier cannot use
 * is the firm's misconfiguration, not the sender's fault, so the route returns 500 and the provider retries.
 */
async function authenticate(
  c: HandlerContext,
  provider: MailEventProvider,
  integration: Integration,
  secret: string,
  raw: Uint8Array,
  json: unknown,
  now: Date,
): Promise<SignatureCheck> {
  try {
    switch (provider) {
      case "postmark": {
        // Postmark signs nothing: the secret comes in the URL's query or as Basic auth credentials in the URL.
        const authorization = c.req.header("authorization");
        if (authorization) return await checkBasicAuth(authorization, integration.settings.basicAuthUser ?? DEFAULT_BASIC_AUTH_USER, secret);
        return await checkSharedSecret(c.req.query("token"), secret);
      }
      case "resend":
        return await createResendVerifier(secret)(c.req.raw.headers, raw, now);
      case "sendgrid":
        return await (await createSendGridVerifier(secret, { toleranceSeconds: SENDGRID_TOLERANCE_SECONDS }))(c.req.raw.headers, raw, now);
      case "mailgun": {
        const signature = typeof json === "object" && json !== null ? (json as Record<string, unknown>).signature : undefined;
        return await createMailgunVerifier(secret)(signature, now);
      }
    }
  } catch (error) {
    if (error instanceof MailConfigError) {
      c.get("services").logger.error("webhook.secret_misconfigured", error, { provider, integrationId: integration.id });
      throw new ApiError("misconfigured", "The mail events integration's secret cannot be used. Set it again in Plumbline's settings.");
    }
    throw error;
  }
}

function readMailgunToken(json: unknown): string | null {
  const signature = typeof json === "object" && json !== null ? (json as Record<string, unknown>).signature : undefined;
  const token = typeof signature === "object" && signature !== null ? (signature as Record<string, unknown>).token : undefined;
  return typeof token === "string" && token.trim() !== "" ? token.trim().slice(0, 256) : null;
}

/**
 * Splits a verified body into the events to store, each under the provider's event id. A body or SendGrid element
 * that cannot be read is still stored, under a hash of its text, so nothing a provider sent is lost. Processing
 * marks it failed.
 */
async function splitEvents(c: HandlerContext, provider: MailEventProvider, text: string, json: unknown): Promise<ReceivedEvent[]> {
  const unreadable = async (body: string): Promise<ReceivedEvent> => ({ providerEventId: `unparsed:${await sha256Hex(body)}`, eventType: "unreadable", body });

  if (provider === "sendgrid") {
    if (!Array.isArray(json)) return [await unreadable(text)];
    return Promise.all(
      json.map(async (element: unknown) => {
        const body = JSON.stringify(element);
        const record = typeof element === "object" && element !== null ? (element as Record<string, unknown>) : {};
        const eventId = record.sg_event_id;
        const eventType = record.event;
        if (typeof eventId !== "string" || eventId === "") return unreadable(body);
        return { providerEventId: eventId.slice(0, 256), eventType: typeof eventType === "string" ? eventType.slice(0, 64) : "unknown", body };
      }),
    );
  }

  try {
    const event =
      provider === "postmark"
        ? parsePostmarkEvent(json, c.req.header("x-pm-webhook-trace-id") ?? null)
        : provider === "resend"
          ? parseResendEvent(json, c.req.header("svix-id") ?? "")
          : parseMailgunEvent(json);
    return [{ providerEventId: event.eventId.slice(0, 256), eventType: event.providerEvent.slice(0, 64), body: text }];
  } catch {
    // Resend's svix-id stays the same across retries, so an unreadable Resend event is still stored under it.
    const svixId = provider === "resend" ? c.req.header("svix-id") : undefined;
    return [svixId ? { providerEventId: svixId.slice(0, 256), eventType: "unreadable", body: text } : await unreadable(text)];
  }
}
