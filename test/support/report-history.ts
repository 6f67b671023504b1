import { newId, localDateOf } from "@plumbline/core";
import { recordEnquiry, type NewTouch } from "@plumbline/db";
import { createLogger } from "../../apps/api/src/logger";
import { applyToOpportunity } from "../../apps/api/src/mail-capture/inbound";
import { testDatabase, type SeededFirm } from "./seed";

// Builders of a report history written straight through the query functions, so a test can work out every figure.

const at = (iso: string) => new Date(iso);
const db = () => testDatabase();
const logger = createLogger({ test: "report-history" });

/** An opportunity seeded by `enquire`, with its contact. */
export interface Seeded {
  id: string;
  contactId: string;
}

/** Records a web enquiry at `at` with one enquiry touch, or the given touches. */
export async function enquire(
  firm: SeededFirm,
  options: { at: string; channel: string; campaign?: string; serviceLine?: string | null; ownerUserId?: string | null; touches?: Omit<NewTouch, "id">[] },
): Promise<Seeded> {
  const now = at(options.at);
  const id = newId("opp", now.getTime());
  const reference = `ENQ-${crypto.randomUUID().slice(0, 8)}`;
  const touches = (options.touches ?? [{ kind: "enquiry" as const, channel: options.channel, campaign: options.campaign ?? null, occurredAt: now }]).map((touch, index) => ({
    ...touch,
    id: `tch_${id}_${index}`,
  }));
  const recorded = await recordEnquiry(db(), {
    firmId: firm.firmId,
    newContactId: newId("con"),
    contact: { name: "Prospect", email: `${id}@example.com`, emailNormalised: `${id}@example.com`, phone: null, phoneE164: null, company: null },
    opportunity: {
      id,
      stage: "new",
      ownerUserId: options.ownerUserId ?? null,
      replyToken: newId("rt").slice(3),
      serviceLine: options.serviceLine ?? null,
      currency: "GBP",
      channel: options.channel,
      lastTouchChannel: touches.at(-1)!.channel,
      utmSource: null,
      utmMedium: null,
      utmCampaign: options.campaign ?? null,
      referrer: null,
      landingPage: null,
      attribution: { firstTouchReason: "test", lastTouchReason: "test" },
      enquiryDate: localDateOf(now, "Europe/London"),
    },
    touches,
    submission: { id: newId("sub"), formId: firm.formId, reference, dedupeKey: id, fingerprint: id, payload: {}, origin: null, userAgent: null, clientHash: null },
    activity: { id: newId("act"), data: {} },
    messages: [],
    task: { id: newId("task"), title: "Respond", assigneeUserId: options.ownerUserId ?? null, dueAt: now },
    now,
  });
  return { id, contactId: recorded.contactId };
}

/** Files the firm's human reply; the same email id twice is the same webhook delivered twice. */
export async function reply(firm: SeededFirm, opportunity: Seeded, when: string, emailId = newId("eml")) {
  await applyToOpportunity({ db: db(), logger, now: at(when) }, firm.firmId, { opportunityId: opportunity.id, contactId: opportunity.contactId, matchedBy: "manual" }, {
    emailId,
    direction: "outbound",
    kind: "human",
    isForward: false,
    subject: "Re: your enquiry",
    replyText: "Thank you",
    at: at(when),
    source: "postmark",
  });
}
