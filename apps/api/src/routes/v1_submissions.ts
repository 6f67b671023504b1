import { SUBMISSION_STATUSES, findFormById, findSubmission, isDuplicateReferenceError, listSubmissions } from "@plumbline/db";
import type { Hono } from "hono";
import { z } from "zod";
import type { HonoEnv } from "../context";
import { acceptEnquiry, queueOwedMessages } from "../enquiry/accept";
import { interpretSubmission } from "../enquiry/interpret";
import { ApiError, notFound } from "../errors";
import { actorLabel, requireFirm } from "../middleware/firm-access";
import { listQuerySchema, parseQuery } from "./list-query";

const listSchema = listQuerySchema.extend({ status: z.enum(SUBMISSION_STATUSES).default("quarantined") });

/** What a quarantined submission stored, read back to be released. */
const storedPayloadSchema = z.object({
  answers: z.record(z.string(), z.string()),
  attribution: z.record(z.string(), z.unknown()).optional(),
  pageUrl: z.string().nullable().optional(),
});

function presentSubmission(submission: Awaited<ReturnType<typeof findSubmission>> & object) {
  return {
    id: submission.id,
    reference: submission.reference,
    formId: submission.formId,
    status: submission.status,
    quarantineReason: submission.quarantineReason,
    payload: submission.payload,
    origin: submission.origin,
    userAgent: submission.userAgent,
    contactId: submission.contactId,
    opportunityId: submission.opportunityId,
    createdAt: submission.createdAt.toISOString(),
  };
}

/**
 * Submission review: `GET /v1/submissions` lists them (quarantined by default), and
 * `POST /v1/submissions/{id}/release` turns a quarantined one into a real enquiry, follow-ups included.
 */
export function registerSubmissionRoutes(app: Hono<HonoEnv>) {
  app.get("/v1/submissions", requireFirm("viewer"), async (c) => {
    const query = parseQuery(listSchema, c.req.query());
    const page = await listSubmissions(c.get("services").db, c.get("firmId"), query);
    return c.json({ data: page.data.map(presentSubmission), nextCursor: page.nextCursor });
  });

  app.post("/v1/submissions/:id/release", requireFirm("partner"), async (c) => {
    const services = c.get("services");
    const firmId = c.get("firmId");
    const id = c.req.param("id");

    const submission = id.length <= 64 ? await findSubmission(services.db, firmId, id) : null;
    if (!submission) throw notFound(`Submission ${id.slice(0, 64)}`);
    if (submission.status !== "quarantined") {
      throw new ApiError("conflict", `Submission ${submission.reference} is ${submission.status}, not quarantined, so there is nothing to release.`);
    }

    const found = await findFormById(services.db, firmId, submission.formId);
    if (!found) throw notFound(`Form of submission ${submission.reference}`);

    const payload = storedPayloadSchema.parse(submission.payload);
    const enquiry = interpretSubmission(
      { fields: payload.answers, attribution: payload.attribution ?? {}, ...(payload.pageUrl ? { pageUrl: payload.pageUrl } : {}) },
      found.form,
      found.firm.defaultPhoneRegion,
    );

    let accepted;
    try {
      accepted = await acceptEnquiry(services, {
        form: found.form,
        firm: found.firm,
        enquiry,
        submission: { ...submission, payload: submission.payload },
        pageUrl: payload.pageUrl ?? null,
        now: new Date(),
        release: { submissionId: submission.id, quarantineReason: submission.quarantineReason, releasedBy: actorLabel(c.get("actor")) },
      });
    } catch (error) {
      if (isDuplicateReferenceError(error)) throw new ApiError("conflict", `Submission ${submission.reference} was already released.`);
      throw error;
    }

    services.logger.info("enquiry.released", { firmId, submissionId: submission.id, opportunityId: accepted.opportunityId });
    c.executionCtx.waitUntil(queueOwedMessages(services, firmId, accepted.messages));
    return c.json({ reference: submission.reference, status: "released", opportunityId: accepted.opportunityId, contactId: accepted.contactId });
  });
}
