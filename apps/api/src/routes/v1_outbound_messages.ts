import {
  OUTBOUND_STATUSES,
  findOutboundMessage,
  listOutboundMessages,
  markMessagesQueued,
  resetFailedMessage,
  type OutboundMessage,
} from "@plumbline/db";
import type { Hono } from "hono";
import { z } from "zod";
import type { HonoEnv } from "../context";
import { ApiError, notFound } from "../errors";
import { requireFirm } from "../middleware/firm-access";
import { listQuerySchema, parseQuery } from "./list-query";

const listSchema = listQuerySchema.extend({
  status: z.enum(OUTBOUND_STATUSES).default("failed"),
  opportunityId: z.string().max(64, { error: "must be at most 64 characters" }).optional(),
});

function presentMessage(message: OutboundMessage) {
  return {
    id: message.id,
    opportunityId: message.opportunityId,
    kind: message.kind,
    channel: message.channel,
    status: message.status,
    statusReason: message.statusReason,
    provider: message.provider,
    providerMessageId: message.providerMessageId,
    attempts: message.attempts,
    lastError: message.lastError,
    createdAt: message.createdAt.toISOString(),
    sentAt: message.sentAt?.toISOString() ?? null,
  };
}

/**
 * `GET /v1/outbound-messages` lists the firm's messages by status (failed ones by default), optionally of one
 * opportunity (`opportunityId`), and
 * `POST /v1/outbound-messages/{id}/retry` puts a failed one back on the queue.
 */
export function registerOutboundMessageRoutes(app: Hono<HonoEnv>) {
  app.get("/v1/outbound-messages", requireFirm("viewer"), async (c) => {
    const query = parseQuery(listSchema, c.req.query());
    const page = await listOutboundMessages(c.get("services").db, c.get("firmId"), query);
    return c.json({ data: page.data.map(presentMessage), nextCursor: page.nextCursor });
  });

  app.post("/v1/outbound-messages/:id/retry", requireFirm("partner"), async (c) => {
    const services = c.get("services");
    const firmId = c.get("firmId");
    const id = c.req.param("id");

    const row = id.length <= 64 ? await resetFailedMessage(services.db, firmId, id, new Date()) : null;
    if (!row) {
      const existing = id.length <= 64 ? await findOutboundMessage(services.db, firmId, id) : null;
      if (existing) throw new ApiError("conflict", `Message ${id} is ${existing.status}; only failed messages can be retried.`);
      throw notFound(`Message ${id.slice(0, 64)}`);
    }

    // If queueing fails, the row stays pending and unqueued, and the cron queues it within a few minutes.
    await services.env.FOLLOW_UP_QUEUE.send({ kind: "outbound", outboundMessageId: row.id, firmId });
    await markMessagesQueued(services.db, firmId, [row.id], new Date());
    services.logger.info("follow_up.manual_retry", { firmId, outboundMessageId: row.id });
    return c.json(presentMessage(row), 202);
  });
}
