import { createWorkingCalendar, localDateOf, newId, newReference, normaliseEmail, workingMinutesBetween } from "@plumbline/core";
import {
  findContactsByEmails,
  findFirm,
  findFirmMailIdentity,
  findOpenOpportunitiesOfContacts,
  findOpenTaskIds,
  findOpportunity,
  findOpportunityByMessageId,
  findOpportunityByReference,
  findOpportunityByReplyToken,
  completeTask,
  insertEmailMessage,
  insertEmailOpportunity,
  isOwnOutboundMessageId,
  markMessagesQueued,
  markWebhookEvent,
  recordFirstResponse,
  recordOpportunityActivity,
  upsertContactByEmail,
  type findWebhookEvent,
} from "@plumbline/db";
import {
  classifyInbound,
  detectForward,
  InvalidInboundError,
  normaliseMailgunInbound,
  normalisePostalMimeEmail,
  normalisePostmarkInbound,
  parseSendGridInbound,
  splitReply,
  truncateForTimeline,
  type InboundKind,
  type InboundMessage,
  type PostalMimeEmail,
} from "@plumbline/integrations";
import PostalMime from "postal-mime";
import { sha256Hex } from "../lib/crypto";
import { planFollowUp } from "../follow-up/plan";
import { applyStageEvent } from "../pipeline/apply";
import type { WebhookContext } from "../webhooks/dispatch";

export type StoredWebhookEvent = NonNullable<Awaited<ReturnType<typeof findWebhookEvent>>>;

// ---------------------------------------------------------------------------------------------------------------
// Stored form of inbound mail

/** D1 stores at most 2,000,000 bytes in one string value. Stored bodies stay under this, with room to spare. */
export const MAX_STORED_BODY_BYTES = 1_900_000;

/** Stored header that records the envelope recipient, which may hold a reply token the header To does not. */
export const ENVELOPE_TO_HEADER = "envelope-to";

/** Event type of a stored event whose raw form did not fit, so the normalised message was stored instead. */
export const NORMALISED_EVENT_TYPE = "inbound.normalised";

/**
 * Turns bytes into a string with one character per byte (U+0000 to U+00FF). Multipart bodies and raw MIME may
 * carry bytes in any charset, and this keeps every byte so the stored text parses exactly as received.
 */
export function bytesToBinaryString(bytes: Uint8Array): string {
  let text = "";
  const chunk = 0x8000;
  for (let offset = 0; offset < bytes.length; offset += chunk) {
    text += String.fromCharCode(...bytes.subarray(offset, offset + chunk));
  }
  return text;
}

export function binaryStringToBytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
  return bytes;
}

/** Size of a string once D1 stores it as UTF-8. */
export function storedByteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}

/** Reads a stored inbound event back into one InboundMessage. Throws InvalidInboundError for a body that cannot be read. */
export async function readStoredInbound(stored: StoredWebhookEvent): Promise<InboundMessage> {
  if (stored.eventType === NORMALISED_EVENT_TYPE) {
    const message = JSON.parse(stored.body) as InboundMessage & { date: string | null };
    // Messages stored before envelope recipients were read have no envelopeTo.
    return { ...message, envelopeTo: message.envelopeTo ?? [], date: message.date ? new Date(message.date) : null };
  }

  const contentType = stored.headers["content-type"] ?? "";
  switch (stored.provider) {
    case "postmark-inbound":
      return normalisePostmarkInbound(parseJson(stored.body));
    case "sendgrid-inbound":
      return parseSendGridInbound(binaryStringToBytes(stored.body), contentType);
    case "mailgun-inbound": {
      const form = await new Response(binaryStringToBytes(stored.body), { headers: { "content-type": contentType } }).formData().catch((error: unknown) => {
        throw new InvalidInboundError("mailgun", "the body is not a readable form", error);
      });
      return normaliseMailgunInbound(form);
    }
    case "email-worker": {
      const parsed = await PostalMime.parse(binaryStringToBytes(stored.body));
      return normalisePostalMimeEmail(parsed as unknown as PostalMimeEmail);
    }
    default:
      throw new InvalidInboundError("cloudflare", `provider ${stored.provider} is not inbound mail`);
  }
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new InvalidInboundError("postmark", "the body is not JSON", error);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Processing

/** The whole text body is kept up to this many characters. A longer one is cut and `body_truncated` is set. */
const MAX_BODY_CHARS = 100_000;
/** The reply shown on the timeline. */
const MAX_TIMELINE_REPLY_CHARS = 2_000;
/** Open opportunities read for the participant rule. Two are enough to tell that there is not exactly one. */
const PARTICIPANT_CANDIDATES = 2;

const REFERENCE_IN_SUBJECT = /\bENQ-[0-9A-Z]{4}-[0-9A-Z]{4}\b/;

type MatchRule = "in_reply_to" | "references" | "reply_token" | "subject_reference" | "participant" | "forward";

interface Match {
  opportunityId: string;
  contactId: string;
  matchedBy: MatchRule;
}

/**
 * Files one stored inbound email: reads it, decides its direction and kind, ties it to an opportunity by the
 * threading rules, records it, and applies what a human reply means. The stored event ends as processed, ignored
 * (a copy of Plumbline's own email) or failed (an unreadable body). Other errors propagate, so the queue retries
 * within its max_retries and the dead-letter consumer then marks the event failed.
 */
export async function processInboundEmail(context: WebhookContext, stored: StoredWebhookEvent): Promise<void> {
  const { db, logger, now } = context;
  const firmId = stored.firmId;
  if (!firmId) {
    await markWebhookEvent(db, "", stored.id, "failed", "no firm", now);
    return;
  }

  let message: InboundMessage;
  try {
    message = await readStoredInbound(stored);
  } catch (error) {
    const reason = error instanceof Error ? error.message.slice(0, 300) : "unreadable";
    await markWebhookEvent(db, firmId, stored.id, "failed", reason, now);
    logger.warn("inbound_email.unreadable", { firmId, webhookEventId: stored.id, provider: stored.provider, reason });
    return;
  }

  if (message.messageId && (await isOwnOutboundMessageId(db, firmId, message.messageId))) {
    await markWebhookEvent(db, firmId, stored.id, "ignored", "a copy of an email Plumbline sent", now);
    return;
  }

  const identity = await findFirmMailIdentity(db, firmId);
  const isFirmAddress = (address: string) => isFirmsOwn(address, identity);
  const fromAddress = message.from ? addressKey(message.from.email) : null;
  const direction = fromAddress && isFirmAddress(fromAddress) ? "outbound" : "inbound";
  const kind = classifyInbound(message).kind;

  const forwardedFrom = direction === "outbound" && kind === "human" ? detectForward(message) : null;
  const forwardedKey = forwardedFrom ? addressKey(forwardedFrom.email) : null;
  const isForward = forwardedKey !== null && !isFirmAddress(forwardedKey);

  const match = isForward
    ? await creditForward(context, { firmId, webhookEventId: stored.id, email: forwardedFrom!.email, name: forwardedFrom!.name ?? null, forwardedBy: fromAddress! })
    : await matchThread(context, firmId, message, direction, stored.headers[ENVELOPE_TO_HEADER] ?? null, isFirmAddress);

  const emailId = `eml_${(await sha256Hex(`${firmId}|${message.messageId ?? stored.id}`)).slice(0, 26)}`;
  const receivedAt = stored.receivedAt;
  const sentAt = message.date && message.date.getTime() <= receivedAt.getTime() ? message.date : receivedAt;
  const body = bodyTextOf(message);
  const replyText = truncateForTimeline(splitReply(body).reply, MAX_TIMELINE_REPLY_CHARS);

  const inserted = await insertEmailMessage(db, {
    id: emailId,
    firmId,
    opportunityId: match?.opportunityId ?? null,
    contactId: match?.contactId ?? null,
    direction: isForward ? "inbound" : direction,
    classification: kind,
    matchedBy: match?.matchedBy ?? null,
    fromEmail: isForward ? forwardedFrom!.email : (message.from?.email ?? ""),
    fromName: isForward ? (forwardedFrom!.name ?? null) : (message.from?.name ?? null),
    toEmails: [...message.to, ...message.cc].map((mailbox) => addressKey(mailbox.email)),
    subject: message.subject,
    messageIdHeader: message.messageId,
    inReplyTo: message.inReplyTo,
    references: message.references,
    replyText,
    bodyText: body.length > MAX_BODY_CHARS ? truncateForTimeline(body, MAX_BODY_CHARS) : body,
    bodyTruncated: body.length > MAX_BODY_CHARS,
    attachments: message.attachments,
    forwardedBy: isForward ? fromAddress : null,
    source: stored.provider === "email-worker" ? "email-worker" : message.source,
    sentAt,
    receivedAt,
    createdAt: now,
  });

  if (inserted && match) {
    await applyToOpportunity(context, firmId, match, { emailId, direction: isForward ? "inbound" : direction, kind, isForward, subject: message.subject, replyText, at: sentAt, source: stored.provider });
  }

  await markWebhookEvent(db, firmId, stored.id, "processed", null, now);
  logger.info("inbound_email.processed", {
    firmId,
    webhookEventId: stored.id,
    emailId,
    direction,
    kind,
    matchedBy: match?.matchedBy ?? "unmatched",
    opportunityId: match?.opportunityId ?? null,
    duplicate: !inserted,
  });
}

/**
 * Ties a message to an opportunity by the first rule that finds one. In-Reply-To comes first, then References
 * (newest first), each looked up among Plumbline's sent Message-IDs and earlier captured emails. Next come a reply
 * token among the recipients, an `ENQ-XXXX-XXXX` reference in the subject, and the other party's single open
 * opportunity. Returns null rather than guess when no rule applies.
 */
async function matchThread(
  context: WebhookContext,
  firmId: string,
  message: InboundMessage,
  direction: "inbound" | "outbound",
  envelopeTo: string | null,
  isFirmAddress: (address: string) => boolean,
): Promise<Match | null> {
  const { db } = context;
  const withContact = async (opportunityId: string | null, matchedBy: MatchRule): Promise<Match | null> => {
    if (!opportunityId) return null;
    const opportunity = await findOpportunity(db, firmId, opportunityId);
    return opportunity ? { opportunityId, contactId: opportunity.contactId, matchedBy } : null;
  };

  if (message.inReplyTo) {
    const found = await withContact(await findOpportunityByMessageId(db, firmId, message.inReplyTo), "in_reply_to");
    if (found) return found;
  }
  for (const reference of [...message.references].reverse()) {
    const found = await withContact(await findOpportunityByMessageId(db, firmId, reference), "references");
    if (found) return found;
  }

  for (const token of replyTokensOf(message, envelopeTo, context.env.INBOUND_EMAIL_DOMAIN)) {
    const opportunity = await findOpportunityByReplyToken(db, token);
    // A token of another firm's opportunity is treated as absent, so one firm's mail never files into another's.
    if (opportunity && opportunity.firmId === firmId) return { opportunityId: opportunity.id, contactId: opportunity.contactId, matchedBy: "reply_token" };
  }

  const reference = REFERENCE_IN_SUBJECT.exec(message.subject)?.[0];
  if (reference) {
    const opportunity = await findOpportunityByReference(db, firmId, reference);
    if (opportunity) return { opportunityId: opportunity.id, contactId: opportunity.contactId, matchedBy: "subject_reference" };
  }

  const captureDomain = context.env.INBOUND_EMAIL_DOMAIN.toLowerCase();
  const participants =
    direction === "inbound"
      ? [message.from?.email ?? ""]
      : [...message.to, ...message.cc].map((mailbox) => mailbox.email).filter((address) => !isFirmAddress(addressKey(address)));
  const keys = [...new Set(participants.map(addressKey).filter((key) => key !== "" && !key.endsWith(`@${captureDomain}`)))];
  const contacts = await findContactsByEmails(db, firmId, keys);
  const open = await findOpenOpportunitiesOfContacts(db, firmId, contacts.map((contact) => contact.id), PARTICIPANT_CANDIDATES);
  if (open.length === 1) return { opportunityId: open[0]!.id, contactId: open[0]!.contactId, matchedBy: "participant" };
  return null;
}

/**
 * Finds the reply tokens among the addresses a message was delivered to: To, Cc, Delivered-To, X-Original-To, the
 * provider's envelope recipients and the Email Worker's envelope recipient. The header addresses come first.
 */
function replyTokensOf(message: InboundMessage, envelopeTo: string | null, inboundDomain: string): string[] {
  const addresses = [
    ...message.to.map((mailbox) => mailbox.email),
    ...message.cc.map((mailbox) => mailbox.email),
    ...(message.headers["delivered-to"] ?? []),
    ...(message.headers["x-original-to"] ?? []),
    ...message.envelopeTo,
    ...(envelopeTo ? [envelopeTo] : []),
  ];
  const domain = inboundDomain.toLowerCase();
  const tokens: string[] = [];
  for (const address of addresses) {
    const match = /^reply\+([a-z0-9]{1,64})@(.+)$/i.exec(address.trim().replace(/^<|>$/g, ""));
    if (match && match[2]!.toLowerCase() === domain) tokens.push(match[1]!.toLowerCase());
  }
  return [...new Set(tokens)];
}

/** A forwarded enquiry: the original sender's address and name, and the firm address that forwarded it. */
interface ForwardedEnquiry {
  firmId: string;
  webhookEventId: string;
  email: string;
  name: string | null;
  forwardedBy: string;
}

/**
 * Credits a forwarded enquiry to its original sender: their contact (created if new) and that contact's open
 * opportunity, or else a new opportunity with origin `email`, a routed owner, a respond_to_enquiry task and the
 * partner alert a web form enquiry gets.
 */
async function creditForward(context: WebhookContext, forward: ForwardedEnquiry): Promise<Match | null> {
  const { db, now } = context;
  const { firmId } = forward;
  const normalised = normaliseEmail(forward.email);
  const firm = await findFirm(db, firmId);
  if (typeof normalised === "string" || !firm) return null;

  const contactId = await upsertContactByEmail(db, { newId: newId("con", now.getTime()), firmId, name: forward.name, email: normalised.display, emailNormalised: normalised.key, now });
  const [open] = await findOpenOpportunitiesOfContacts(db, firmId, [contactId], 1);
  // Processing the same event again finds the opportunity made the first time, so it owes no second alert.
  if (open) return { opportunityId: open.id, contactId, matchedBy: "forward" };

  // A forwarded enquiry is routed and given its response task like a web form enquiry. It gets no acknowledgement,
  // because the partner who forwarded it is already in touch with the sender.
  const opportunityId = newId("opp", now.getTime());
  const reference = newReference();
  const plan = await planFollowUp(db, context.logger, firm, null, now);
  // Keyed by the stored event, so two deliveries of one event racing past the check above still owe one alert.
  const alertId = `msg_${forward.webhookEventId.slice(4)}_alert`;
  await insertEmailOpportunity(db, {
    id: opportunityId,
    firmId,
    contactId,
    reference,
    currency: firm.currency,
    replyToken: newId("rt").slice(3),
    attribution: { firstTouchReason: "forwarded to the firm by email", lastTouchReason: "forwarded to the firm by email" },
    ownerUserId: plan.ownerUserId,
    task: { id: newId("task", now.getTime()), title: `Respond to enquiry ${reference}`, assigneeUserId: plan.ownerUserId, dueAt: plan.dueAt },
    enquiryDate: localDateOf(now, firm.timeZone),
    alert: { id: alertId, integrationId: plan.chatIntegrationId, data: { opportunityId, forwardedBy: forward.forwardedBy } },
    now,
  });
  context.logger.info("inbound_email.forward_routed", { firmId, opportunityId, ownerUserId: plan.ownerUserId, routedBy: plan.routedBy });
  await queueForwardAlert(context, firmId, alertId);
  return { opportunityId, contactId, matchedBy: "forward" };
}

/** Queues the partner alert of a forwarded enquiry. If queueing fails the row stays unqueued and the cron queues it. */
async function queueForwardAlert(context: WebhookContext, firmId: string, outboundMessageId: string): Promise<void> {
  try {
    await context.env.FOLLOW_UP_QUEUE.send({ kind: "outbound", outboundMessageId, firmId });
    await markMessagesQueued(context.db, firmId, [outboundMessageId], context.now);
  } catch (error) {
    context.logger.error("inbound_email.alert_queue_failed", error, { firmId, outboundMessageId });
  }
}

/** A captured email as it applies to its opportunity, whether a rule or a person filed it. */
export interface FiledEmail {
  emailId: string;
  direction: "inbound" | "outbound";
  kind: InboundKind;
  isForward: boolean;
  subject: string;
  replyText: string;
  at: Date;
  /** Origin recorded on the timeline entry and the stage receipt, such as a mail provider or `api`. */
  source: string;
  /** Timeline entry id. Filing by hand passes the id of the entry it wrote, so the email gets one entry only. */
  activityId?: string;
}

/** Filing target of an email: its opportunity, that opportunity's contact, and the rule or person that chose it. */
export interface EmailMatch {
  opportunityId: string;
  contactId: string;
  matchedBy: MatchRule | "manual";
}

/**
 * Records a newly filed email on its opportunity's timeline. The firm's first human reply sets the first response
 * time (once), completes the open respond_to_enquiry tasks and moves the stage on. A prospect's human reply moves
 * the last prospect activity. Automatic mail is logged only. Filing by hand calls this too, for the same effect.
 */
export async function applyToOpportunity(context: Pick<WebhookContext, "db" | "logger" | "now">, firmId: string, match: EmailMatch, email: FiledEmail): Promise<void> {
  const { db, logger, now } = context;
  const human = email.kind === "human";
  let type: string;
  if (!human) type = `email.${email.kind}`;
  else if (email.isForward) type = "email.forwarded_enquiry";
  else type = email.direction === "outbound" ? "email.replied" : "email.received";

  // An existing entry with this id is kept as it is, and the opportunity's activity clocks still move.
  await recordOpportunityActivity(db, {
    id: email.activityId ?? `act_${email.emailId}`,
    firmId,
    opportunityId: match.opportunityId,
    contactId: match.contactId,
    type,
    origin: email.source,
    data: { emailId: email.emailId, subject: email.subject, replyText: email.replyText, matchedBy: match.matchedBy, classification: email.kind },
    occurredAt: email.at,
    fromProspect: human && email.direction === "inbound",
    now,
  });

  if (!human || email.direction !== "outbound") return;

  const first = await recordFirstResponse(db, firmId, match.opportunityId, await firstResponseOf(db, firmId, match.opportunityId, email.at), now);
  for (const taskId of await findOpenTaskIds(db, firmId, match.opportunityId, "respond_to_enquiry")) {
    await completeTask(db, firmId, taskId, `email:${email.emailId}`, now);
  }
  await applyStageEvent(db, logger, firmId, match.opportunityId, { type: "first_human_reply", at: email.at, source: email.source }, now);
  if (first) logger.info("inbound_email.first_response", { firmId, opportunityId: match.opportunityId, emailId: email.emailId });
}

/**
 * Works out how long a reply at `at` took from the enquiry, in whole clock minutes and whole working minutes of the
 * firm's calendar. A reply older than the enquiry (one forwarded in later) took 0 minutes.
 */
async function firstResponseOf(db: WebhookContext["db"], firmId: string, opportunityId: string, at: Date) {
  const opportunity = await findOpportunity(db, firmId, opportunityId);
  const firm = await findFirm(db, firmId);
  if (!opportunity || !firm) return { at, clockMinutes: 0, workingMinutes: 0 };

  const calendar = createWorkingCalendar({ timeZone: firm.timeZone, workingHours: firm.workingHours, closedDates: firm.closedDates });
  const clockMinutes = Math.max(0, Math.floor((at.getTime() - opportunity.createdAt.getTime()) / 60_000));
  const workingMinutes = Math.floor(workingMinutesBetween(opportunity.createdAt, at, calendar));
  return { at, clockMinutes, workingMinutes };
}

/** Returns the plain-text body, or the HTML with its tags removed when the sender wrote no text part. */
function bodyTextOf(message: InboundMessage): string {
  if (message.text.trim() !== "") return message.text;
  return message.html
    .replace(/<(style|script)[\s\S]*?<\/\1>/gi, " ")
    .replace(/<br\s*\/?>|<\/p>|<\/div>/gi, "\n")
    .replace(/<[^>]+>/g, " ")
    .replace(/&nbsp;/g, " ")
    .replace(/&amp;/g, "&")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/[ \t]+/g, " ")
    .trim();
}

/** Returns an address's normalised form for comparison, or the address lower-cased when it is not valid. */
function addressKey(address: string): string {
  const normalised = normaliseEmail(address);
  return typeof normalised === "string" ? address.trim().toLowerCase() : normalised.key;
}

function isFirmsOwn(key: string, identity: { domains: string[]; addresses: string[] }): boolean {
  const domain = key.slice(key.lastIndexOf("@") + 1);
  return identity.addresses.includes(key) || identity.domains.includes(domain);
}
