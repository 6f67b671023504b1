import { newId, newReference, type SubmissionAccepted } from "@plumbline/core";
import {
  findRecentSubmissionByFingerprint,
  findSubmissionByDedupeKey,
  recordQuarantinedSubmission,
  type SubmissionRecord,
} from "@plumbline/db";
import type { Context, Hono } from "hono";
import type { HonoEnv } from "../context";
import { acceptEnquiry, queueOwedMessages, storeOnce, type AcceptedEnquiry } from "../enquiry/accept";
import { interpretSubmission, type Enquiry } from "../enquiry/interpret";
import { readSubmission } from "../enquiry/read-body";
import { findQuarantineReason } from "../enquiry/spam";
import { ApiError } from "../errors";
import { hmacSha256Hex, sha256Hex } from "../lib/crypto";
import { maskEmail } from "../logger";
import { applyFormCors, loadFormForBrowser } from "../middleware/form-cors";
import { renderSubmissionErrorPage } from "../pages/submission-pages";

/** Submissions with the same fields and no client submission id within this window are one enquiry. */
export const FINGERPRINT_WINDOW_MS = 10 * 60 * 1000;

/** `POST /v1/forms/{formKey}/submissions`: a website enquiry becomes a contact, an opportunity and its follow-ups. */
export function registerCreateSubmission(app: Hono<HonoEnv>) {
  app.post("/v1/forms/:formKey/submissions", async (c) => {
    // A plain HTML form post is a page load, so its errors are pages too; everyone else gets the JSON envelope.
    const navigation = isBrowserNavigation(c.req.raw);
    try {
      return await createSubmission(c, navigation);
    } catch (error) {
      if (!(error instanceof ApiError) || !navigation) throw error;
      return c.html(renderSubmissionErrorPage(error, c.req.header("referer")), error.status);
    }
  });
}

async function createSubmission(c: Context<HonoEnv>, navigation: boolean): Promise<Response> {
    const { form, firm } = await loadFormForBrowser(c);
    applyFormCors(c, form.allowedOrigins);

    const services = c.get("services");
    const logger = services.logger.with({ firmId: firm.id, formId: form.id });
    const now = new Date();

    const read = await readSubmission(c.req.raw);
    const enquiry = interpretSubmission(read.body, form, firm.defaultPhoneRegion);

    const fingerprint = await fingerprintOf(form.id, enquiry);
    const dedupeKey = read.body.submissionId ?? `fp:${fingerprint}:${Math.floor(now.getTime() / FINGERPRINT_WINDOW_MS)}`;

    const earlier = read.body.submissionId
      ? await findSubmissionByDedupeKey(services.db, firm.id, form.id, dedupeKey)
      : await findRecentSubmissionByFingerprint(services.db, firm.id, form.id, fingerprint, new Date(now.getTime() - FINGERPRINT_WINDOW_MS));
    if (earlier) {
      logger.info("enquiry.repeat", { reference: earlier.reference });
      return answer(c, form, navigation, earlier.reference, 200);
    }

    const clientIp = c.req.header("cf-connecting-ip");
    const pageUrl = enquiry.pageUrl ?? c.req.header("referer") ?? null;
    const submission: SubmissionRecord = {
      id: newId("sub", now.getTime()),
      formId: form.id,
      reference: newReference(),
      dedupeKey,
      fingerprint,
      payload: { answers: enquiry.answers, attribution: enquiry.attribution, pageUrl, encoding: read.encoding },
      origin: c.req.header("origin") ?? null,
      userAgent: c.req.header("user-agent")?.slice(0, 512) ?? null,
      clientHash: await hmacSha256Hex(services.env.CLIENT_HASH_KEY, clientIp ?? "unknown"),
    };

    const quarantineReason = await findQuarantineReason({
      env: services.env,
      db: services.db,
      logger,
      form,
      honeypotFilled: enquiry.honeypotFilled,
      clientHash: submission.clientHash!,
      clientIp,
      turnstileToken: read.body.turnstileToken,
      // Keyed on the token too: after a failed attempt the snippet sends a new token with the same submission id.
      submissionKey: await uuidFrom(`${form.id}:${dedupeKey}:${read.body.turnstileToken ?? ""}`),
      now,
    });

    if (quarantineReason) {
      const stored = await storeOnce(services, firm.id, form.id, dedupeKey, () =>
        recordQuarantinedSubmission(services.db, firm.id, submission, quarantineReason, now),
      );
      logger.info("enquiry.quarantined", { reason: quarantineReason, reference: stored?.reference ?? submission.reference });
      // Spam gets the same response as a real enquiry, so a bot learns nothing from it.
      return answer(c, form, navigation, stored?.reference ?? submission.reference, stored ? 200 : 201);
    }

    let accepted: AcceptedEnquiry | undefined;
    const stored = await storeOnce(services, firm.id, form.id, dedupeKey, async () => {
      accepted = await acceptEnquiry(services, { form, firm, enquiry, submission, pageUrl, now });
    });
    if (stored) {
      logger.info("enquiry.repeat", { reference: stored.reference });
      return answer(c, form, navigation, stored.reference, 200);
    }

    logger.info("enquiry.accepted", {
      reference: submission.reference,
      opportunityId: accepted!.opportunityId,
      email: maskEmail(enquiry.email?.key),
    });
    c.executionCtx.waitUntil(queueOwedMessages(services, firm.id, accepted!.messages));
    return answer(c, form, navigation, submission.reference, 201);
}

async function fingerprintOf(formId: string, enquiry: Enquiry): Promise<string> {
  return sha256Hex(JSON.stringify([formId, enquiry.email?.key ?? null, enquiry.phoneE164 ?? enquiry.phone, enquiry.name, enquiry.message]));
}

/** Formats a hash as a UUID, the form siteverify wants for its idempotency key. */
async function uuidFrom(value: string): Promise<string> {
  const hex = await sha256Hex(value);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Tells whether the request is a plain HTML form post, a page navigation that expects a page and so gets a 303
 * to the thank-you page. The snippet's fetch and API clients get JSON.
 */
function isBrowserNavigation(request: Request): boolean {
  const type = (request.headers.get("content-type") ?? "").toLowerCase();
  if (!type.startsWith("application/x-www-form-urlencoded") && !type.startsWith("multipart/form-data")) return false;
  if (request.headers.get("sec-fetch-mode") === "navigate") return true;
  const accept = request.headers.get("accept") ?? "";
  return accept.includes("text/html") || !accept.includes("application/json");
}

function answer(
  c: Context<HonoEnv>,
  form: { key: string; thankYouUrl: string | null },
  navigation: boolean,
  reference: string,
  status: 200 | 201,
): Response {
  const hostedThanks = new URL(`/v1/forms/${encodeURIComponent(form.key)}/thanks?reference=${reference}`, c.req.url).toString();
  if (navigation) return c.redirect(form.thankYouUrl ?? hostedThanks, 303);

  const body: SubmissionAccepted = { status: "received", reference, ...(form.thankYouUrl ? { redirectTo: form.thankYouUrl } : {}) };
  return c.json(body, status);
}
