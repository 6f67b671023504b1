import { fileEmailMessage, findEmailMessage, findOpportunity, listUnmatchedEmails, type EmailMessage } from "@plumbline/db";
import type { Hono } from "hono";
import { z } from "zod";
import type { HonoEnv } from "../context";
import { ApiError, notFound } from "../errors";
import { applyToOpportunity } from "../mail-capture/inbound";
import { actorLabel, actorUserId, requireFirm } from "../middleware/firm-access";
import { parseQuery } from "./list-query";

const listSchema = z.object({ limit: z.coerce.number().int().min(1).max(100).default(50) });

const fileSchema = z.object({ opportunityId: z.string().min(1).max(64) });

function presentEmail(email: EmailMessage) {
  return {
    id: email.id,
    opportunityId: email.opportunityId,
    contactId: email.contactId,
    direction: email.direction,
    classification: email.classification,
    matchedBy: email.matchedBy,
    fromEmail: email.fromEmail,
    fromName: email.fromName,
    toEmails: email.toEmails,
    subject: email.subject,
    replyText: email.replyText,
    bodyTruncated: email.bodyTruncated,
    attachments: email.attachments,
    forwardedBy: email.forwardedBy,
    source: email.source,
    sentAt: email.sentAt?.toISOString() ?? null,
    receivedAt: email.receivedAt.toISOString(),
  };
}

/**
 * Review of captured email that no rule could tie to an opportunity: `GET /v1/emails/unmatched` lists the firm's
 * unmatched emails, newest first, and `POST /v1/emails/{id}/file` `{opportunityId}` files one, with the same
 * effect on the opportunity as an automatic match. An email or opportunity of another firm returns 404, like a
 * missing one.
 */
export function registerEmailRoutes(app: Hono<HonoEnv>) {
  app.get("/v1/emails/unmatched", requireFirm("viewer"), async (c) => {
    const query = parseQuery(listSchema, c.req.query());
    const rows = await listUnmatchedEmails(c.get("services").db, c.get("firmId"), query.limit);
    return c.json({ data: rows.map(presentEmail) });
  });

  app.post("/v1/emails/:id/file", requireFirm("partner"), async (c) => {
    const { db } = c.get("services");
    const firmId = c.get("firmId");
    const id = c.req.param("id").slice(0, 64);

    const parsed = fileSchema.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) throw new ApiError("invalid_request", "The body must be JSON with an opportunityId string.", { field: "opportunityId" });

    const email = await findEmailMessage(db, firmId, id);
    if (!email) throw notFound(`Email ${id}`);
    const opportunity = await findOpportunity(db, firmId, parsed.data.opportunityId);
    if (!opportunity) throw notFound(`Opportunity ${parsed.data.opportunityId}`);
    if (email.opportunityId && email.opportunityId !== opportunity.id) {
      throw new ApiError("conflict", `Email ${id} is already filed on opportunity ${email.opportunityId}.`);
    }

    const now = new Date();
    const activityId = `act_${email.id}_filed`;
    const filed = await fileEmailMessage(db, {
      firmId,
      emailId: email.id,
      opportunityId: opportunity.id,
      contactId: opportunity.contactId,
      activityId,
      filedBy: actorLabel(c.get("actor")),
      actorUserId: actorUserId(c.get("actor")),
      data: { emailId: email.id, subject: email.subject, replyText: email.replyText, direction: email.direction, classification: email.classification },
      occurredAt: email.sentAt ?? email.receivedAt,
      now,
    });
    if (!filed) throw notFound(`Email ${id}`);

    // A filed email counts as if a rule had matched it: a firm's first human reply is the first response, and a
    // prospect's email moves their activity clock. Filing again adds no entry and keeps the first response time.
    await applyToOpportunity(
      { db, logger: c.get("services").logger, now },
      firmId,
      { opportunityId: opportunity.id, contactId: opportunity.contactId, matchedBy: "manual" },
      {
        emailId: filed.id,
        direction: filed.direction,
        kind: filed.classification,
        isForward: filed.forwardedBy !== null,
        subject: filed.subject ?? "",
        replyText: filed.replyText ?? "",
        at: filed.sentAt ?? filed.receivedAt,
        source: "api",
        activityId,
      },
    );
    return c.json(presentEmail(filed));
  });
}
