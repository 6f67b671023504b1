import { newId } from "@plumbline/core";
import { findIntegrationForWebhook, storeWebhookEvent } from "@plumbline/db";
import { CALCOM_SIGNATURE_HEADER, CALENDLY_SIGNATURE_HEADER, verifyCalcomSignature, verifyCalendlySignature } from "@plumbline/integrations";
import type { Hono } from "hono";
import { parseBookingBody } from "../bookings/process";
import type { HonoEnv } from "../context";
import { ApiError } from "../errors";
import { decryptSecret, sha256Hex } from "../lib/crypto";

/** Booking payloads are small JSON documents; anything larger is not a booking webhook. */
const MAX_WEBHOOK_BYTES = 256 * 1024;

/** Headers kept with the stored event, for support; signatures are kept so a delivery can be re-verified. */
const KEPT_HEADERS = ["content-type", "user-agent", CALCOM_SIGNATURE_HEADER.toLowerCase(), CALENDLY_SIGNATURE_HEADER.toLowerCase()];

/**
 * `POST /v1/webhooks/{calcom|calendly}/{integrationId}`: a booking tool's webhook. The signature is checked on the
 * raw bytes (a missing, malformed or wrong one is 401, never 500), the raw event is stored under the provider's
 * event id (a repeat is answered 200 and changes nothing), and the work happens from the queue.
 */
export function registerBookingWebhooks(app: Hono<HonoEnv>) {
  app.post("/v1/webhooks/:provider{calcom|calendly}/:integrationId", async (c) => {
    const services = c.get("services");
    const provider = c.req.param("provider") as "calcom" | "calendly";
    const now = new Date();

    const declared = Number(c.req.header("content-length") ?? "NaN");
    if (Number.isFinite(declared) && declared > MAX_WEBHOOK_BYTES) throw new ApiError("payload_too_large", "The webhook body is too large.");
    const raw = new Uint8Array(await c.req.arrayBuffer());
    if (raw.byteLength > MAX_WEBHOOK_BYTES) throw new ApiError("payload_too_large", "The webhook body is too large.");

    const integration = await findIntegrationForWebhook(services.db, provider, c.req.param("integrationId").slice(0, 64));
    if (!integration) throw new ApiError("not_found", "No booking integration at this URL. Copy the webhook URL again from Plumbline's settings.");
    const secret = await decryptSecret(services.env.ENCRYPTION_KEY, integration.secretEncrypted);

    const verified =
      provider === "calcom"
        ? (await verifyCalcomSignature(raw, c.req.header(CALCOM_SIGNATURE_HEADER) ?? null, secret))
          ? { ok: true as const }
          : { ok: false as const, reason: "mismatch" }
        : await verifyCalendlySignature(raw, c.req.header(CALENDLY_SIGNATURE_HEADER) ?? null, secret, now);
    if (!verified.ok) {
      services.logger.warn("webhook.signature_rejected", { provider, integrationId: integration.id, reason: verified.reason });
      throw new ApiError("unauthorized", `The webhook signature is ${verified.reason === "stale" ? "too old or from the future" : "missing or invalid"}.`);
    }

    const body = new TextDecoder().decode(raw);
    const parsed = parseBookingBody(provider, body);
    // An unreadable payload is still kept, under a hash of its bytes, so nothing a provider sent is lost.
    const providerEventId = parsed.ok ? parsed.event.eventId : `unparsed:${await sha256Hex(body)}`;
    const headers = Object.fromEntries(KEPT_HEADERS.flatMap((name) => (c.req.header(name) ? [[name, c.req.header(name)!]] : [])));

    const storedId = await storeWebhookEvent(services.db, {
      id: newId("whe", now.getTime()),
      firmId: integration.firmId,
      provider,
      providerEventId,
      eventType: parsed.ok ? parsed.event.kind : "unreadable",
      headers,
      body,
      now,
    });
    if (!storedId) return c.json({ status: "duplicate" });

    try {
      await services.env.FOLLOW_UP_QUEUE.send({ kind: "webhook", webhookEventId: storedId, firmId: integration.firmId });
    } catch (error) {
      // The event is stored as received, and the cron queues received events that waited too long.
      services.logger.error("webhook.queue_failed", error, { provider, webhookEventId: storedId, firmId: integration.firmId });
    }
    return c.json({ status: "received" });
  });
}
