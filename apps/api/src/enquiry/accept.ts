import { localDateOf, newId } from "@plumbline/core";
import {
  findSubmissionByDedupeKey,
  isDuplicateSubmissionError,
  markMessagesQueued,
  recordEnquiry,
  type EarlierSubmission,
  type Form,
  type FormFirm,
  type OwedMessage,
  type SubmissionRecord,
} from "@plumbline/db";
import type { Services } from "../context";
import { resolveAttribution, touchesOfEnquiry } from "./attribution";
import { planFollowUp, type FollowUpPlan } from "../follow-up/plan";
import type { Enquiry } from "./interpret";

export interface AcceptInput {
  form: Form;
  firm: FormFirm;
  enquiry: Enquiry;
  submission: SubmissionRecord;
  pageUrl: string | null;
  now: Date;
  /** For a quarantined submission a person released: its id and why it was held. */
  release?: { submissionId: string; quarantineReason: string | null; releasedBy: string };
}

export interface AcceptedEnquiry {
  opportunityId: string;
  contactId: string;
  messages: OwedMessage[];
}

/**
 * Turns an enquiry into its records: attribution resolved, then contact, opportunity (stage `new`), timeline
 * entry, owed follow-ups and the submission written in one batch. Throws the database's unique-constraint error
 * for a repeat; see storeOnce.
 */
export async function acceptEnquiry(services: Services, input: AcceptInput): Promise<AcceptedEnquiry> {
  const { form, firm, enquiry, submission, now } = input;

  const attribution = resolveAttribution({
    attribution: enquiry.attribution,
    pageUrl: input.pageUrl,
    submittedAt: now,
    firmWebsiteHosts: firm.websiteHosts,
    allowedOrigins: form.allowedOrigins,
    channelRules: firm.channelRules,
  });
  const opportunityId = newId("opp", now.getTime());
  const plan = await planFollowUp(services.db, services.logger, firm, enquiry.serviceLine, now);
  const messages = owedMessages(enquiry, opportunityId, plan, now);

  const recorded = await recordEnquiry(services.db, {
    firmId: firm.id,
    newContactId: newId("con", now.getTime()),
    contact: {
      name: enquiry.name,
      email: enquiry.email?.display ?? null,
      emailNormalised: enquiry.email?.key ?? null,
      phone: enquiry.phone,
      phoneE164: enquiry.phoneE164,
      company: enquiry.company,
    },
    opportunity: {
      id: opportunityId,
      stage: "new",
      ownerUserId: plan.ownerUserId,
      replyToken: newReplyToken(),
      serviceLine: enquiry.serviceLine,
      currency: firm.currency,
      channel: attribution.channel,
      lastTouchChannel: attribution.lastTouchChannel,
      utmSource: attribution.summary.utm_source ?? null,
      utmMedium: attribution.summary.utm_medium ?? null,
      utmCampaign: attribution.summary.utm_campaign ?? null,
      referrer: attribution.summary.referrer ?? null,
      landingPage: attribution.summary.landingPage ?? null,
      attribution: attribution.stored,
      enquiryDate: localDateOf(now, firm.timeZone),
    },
    touches: touchesOfEnquiry(attribution, opportunityId, now),
    submission,
    activity: {
      id: newId("act", now.getTime()),
      data: {
        reference: submission.reference,
        formKey: form.key,
        formName: form.name,
        answers: enquiry.answers,
        message: enquiry.message,
        serviceLine: enquiry.serviceLine,
        channel: attribution.channel,
        channelReason: attribution.stored.firstTouchReason,
        pageUrl: input.pageUrl,
        ownerUserId: plan.ownerUserId,
        routedBy: plan.routedBy,
        teamId: plan.teamId,
        ...(input.release
          ? { releasedFromQuarantine: input.release.quarantineReason, releasedBy: input.release.releasedBy }
          : {}),
      },
    },
    messages,
    task: {
      id: newId("task", now.getTime()),
      title: `Respond to enquiry ${submission.reference}`,
      assigneeUserId: plan.ownerUserId,
      dueAt: plan.dueAt,
    },
    now,
    ...(input.release ? { releasedSubmissionId: input.release.submissionId } : {}),
  });

  return { opportunityId, contactId: recorded.contactId, messages };
}

/**
 * Runs a write that inserts the submission row, and returns the earlier submission when the dedupe key was
 * already taken by a concurrent request (the whole batch rolled back), or null when the write went through.
 */
export async function storeOnce(
  services: Services,
  firmId: string,
  formId: string,
  dedupeKey: string,
  write: () => Promise<unknown>,
): Promise<EarlierSubmission | null> {
  try {
    await write();
    return null;
  } catch (error) {
    if (!isDuplicateSubmissionError(error)) throw error;
    const earlier = await findSubmissionByDedupeKey(services.db, firmId, formId, dedupeKey);
    if (!earlier) throw error;
    return earlier;
  }
}

/**
 * Creates the secret in an opportunity's Reply-To capture address (`reply+<token>@…`): 20 random base32
 * characters, 100 bits, so addresses cannot be guessed to file mail on another opportunity.
 */
function newReplyToken(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  return [...crypto.getRandomValues(new Uint8Array(20))].map((byte) => alphabet[byte & 31]).join("");
}

/** Lists the follow-ups an enquiry is owed, written with it. Phone-only enquiries get no email, recorded as such. */
function owedMessages(enquiry: Enquiry, opportunityId: string, plan: FollowUpPlan, now: Date): OwedMessage[] {
  return [
    {
      id: newId("msg", now.getTime()),
      kind: "acknowledgement_email",
      channel: "email",
      integrationId: null,
      status: enquiry.email ? "pending" : "skipped",
      statusReason: enquiry.email ? null : "no address",
      recipient: enquiry.email?.key ?? null,
      // The prospect's own choice of service travels with the email, because the opportunity keeps only the
      // internal service line.
      data: { opportunityId, serviceLabel: enquiry.serviceLabel },
    },
    {
      id: newId("msg", now.getTime()),
      kind: "partner_alert",
      channel: "chat",
      integrationId: plan.chatIntegrationId,
      status: "pending",
      statusReason: null,
      recipient: null,
      data: { opportunityId },
    },
  ];
}

/**
 * Puts the owed messages on the follow-up queue after the response. If this fails, the rows stay pending with no
 * `queued_at`, and the cron queues them within a few minutes.
 */
export async function queueOwedMessages(services: Services, firmId: string, messages: OwedMessage[]): Promise<void> {
  const pending = messages.filter((message) => message.status === "pending");
  if (pending.length === 0) return;
  try {
    await services.env.FOLLOW_UP_QUEUE.sendBatch(
      pending.map((message) => ({ body: { kind: "outbound", outboundMessageId: message.id, firmId } })),
    );
    await markMessagesQueued(services.db, firmId, pending.map((message) => message.id), new Date());
  } catch (error) {
    services.logger.error("follow_up.queue_failed", error, { firmId, count: pending.length });
  }
}
