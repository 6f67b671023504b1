import { z } from "zod";
import { InvalidMailEventError, type MailEvent, type MailEventKind, type MailEventProvider } from "./types";

/**
 * Normalisers from each provider's delivery webhook to MailEvent. They read only the fields they need, ignore the
 * rest, and keep the provider's object as `raw`. A body without a message id, event id or timestamp throws
 * InvalidMailEventError, except in SendGrid's batches, where one bad event must not cost the others.
 */

// ---------------------------------------------------------------------------------------------------------------
// Shared readers

/**
 * Reads a provider timestamp: Unix seconds (SendGrid, Mailgun, which adds a fraction) or ISO 8601 text (Postmark,
 * Resend). Postmark writes up to seven fractional digits, which not every Date parser accepts, so extra digits are
 * cut to milliseconds first.
 */
function readTimestamp(value: unknown): Date | null {
  if (typeof value === "number" && Number.isFinite(value) && value > 0) return new Date(Math.round(value * 1000));
  if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}T/.test(value)) return null;

  const time = Date.parse(value.replace(/(\.\d{3})\d+/, "$1"));
  return Number.isNaN(time) ? null : new Date(time);
}

/** Copies the string, number and boolean values of a metadata object as strings, because Mailgun may turn "42" into 42. */
function readMetadata(value: unknown): Record<string, string> {
  const metadata: Record<string, string> = {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) return metadata;

  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry === "string") metadata[key] = entry;
    else if (typeof entry === "number" || typeof entry === "boolean") metadata[key] = String(entry);
  }
  return metadata;
}

function requireObject(provider: MailEventProvider, body: unknown): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new InvalidMailEventError(provider, "the body is not a JSON object");
  return body as Record<string, unknown>;
}

function parseWith<T>(provider: MailEventProvider, schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success) throw new InvalidMailEventError(provider, z.prettifyError(result.error).replace(/\s+/g, " "), result.error);
  return result.data;
}

const optionalText = z.string().nullish().transform((value) => (value ? value : null));

// ---------------------------------------------------------------------------------------------------------------
// Postmark

const postmarkEvent = z.object({
  RecordType: z.string().min(1),
  MessageID: z.string().min(1),
  Recipient: optionalText,
  Email: optionalText,
  Type: optionalText,
  TypeCode: z.number().nullish(),
  Inactive: z.boolean().nullish(),
  Description: optionalText,
  Details: optionalText,
  DeliveredAt: z.unknown().optional(),
  BouncedAt: z.unknown().optional(),
  ReceivedAt: z.unknown().optional(),
  ChangedAt: z.unknown().optional(),
  SuppressSending: z.boolean().nullish(),
  SuppressionReason: optionalText,
  Metadata: z.unknown().optional(),
});

type PostmarkEvent = z.infer<typeof postmarkEvent>;

/**
 * Postmark bounce TypeCodes, as the BounceTypeCode enum of the `postmark` npm client (4.0) names them. Transient (2)
 * is Postmark's "message delayed", so it is a deferral. A code missing here falls back to the `Type` name, then to a
 * soft bounce.
 */
const POSTMARK_BOUNCE_CODES: ReadonlyMap<number, MailEventKind> = new Map([
  [1, "bounced_hard"], // HardBounce
  [2, "deferred"], // Transient
  [16, "unsubscribed"], // Unsubscribe
  [32, "other"], // Subscribe
  [64, "other"], // AutoResponder
  [128, "other"], // AddressChange
  [256, "bounced_soft"], // DnsError
  [512, "bounced_soft"], // SpamNotification
  [1024, "other"], // OpenRelayTest
  [2048, "bounced_soft"], // Unknown
  [4096, "bounced_soft"], // SoftBounce
  [8192, "bounced_soft"], // VirusNotification
  [16384, "other"], // ChallengeVerification
  [100000, "bounced_hard"], // BadEmailAddress
  [100001, "complained"], // SpamComplaint
  [100002, "bounced_hard"], // ManuallyDeactivated
  [100003, "other"], // Unconfirmed
  [100006, "bounced_soft"], // Blocked
  [100007, "bounced_soft"], // SMTPApiError
  [100008, "other"], // InboundError
  [100009, "bounced_soft"], // DMARCPolicy
  [100010, "other"], // TemplateRenderingFailed
]);

const POSTMARK_BOUNCE_TYPES: ReadonlyMap<string, MailEventKind> = new Map([
  ["HardBounce", "bounced_hard"],
  ["BadEmailAddress", "bounced_hard"],
  ["ManuallyDeactivated", "bounced_hard"],
  ["Transient", "deferred"],
  ["SoftBounce", "bounced_soft"],
  ["DnsError", "bounced_soft"],
  ["Blocked", "bounced_soft"],
  ["SpamComplaint", "complained"],
  ["Unsubscribe", "unsubscribed"],
]);

/**
 * Normalises one Postmark webhook (Delivery, Bounce, SpamComplaint, Open, Click, SubscriptionChange). Postmark signs
 * nothing and sends no event id in the body, so pass the `X-PM-Webhook-Trace-Id` request header as `traceId` when
 * present. Without it the event id is built from the record type, message id, recipient and timestamp.
 */
export function parsePostmarkEvent(body: unknown, traceId?: string | null): MailEvent {
  const raw = requireObject("postmark", body);
  const event = parseWith("postmark", postmarkEvent, raw);

  const timestamp = postmarkTimestamp(event);
  const occurredAt = readTimestamp(timestamp);
  if (!occurredAt) throw new InvalidMailEventError("postmark", `${event.RecordType} record has no readable timestamp`);
  const recipient = event.Recipient ?? event.Email;

  const { kind, providerEvent } = postmarkKind(event);
  return {
    provider: "postmark",
    eventId: traceId || `${event.RecordType}:${event.MessageID}:${recipient ?? ""}:${String(timestamp)}`,
    providerMessageId: event.MessageID,
    kind,
    providerEvent,
    recipient,
    occurredAt,
    detail: event.Description ?? event.Details,
    metadata: readMetadata(event.Metadata),
    raw,
  };
}

/** Picks the timestamp field of the record type, because each type names it differently. An unknown type uses whichever it has. */
function postmarkTimestamp(event: PostmarkEvent): unknown {
  switch (event.RecordType) {
    case "Delivery":
      return event.DeliveredAt;
    case "Bounce":
    case "SpamComplaint":
      return event.BouncedAt;
    case "Open":
    case "Click":
      return event.ReceivedAt;
    case "SubscriptionChange":
      return event.ChangedAt;
    default:
      return event.DeliveredAt ?? event.BouncedAt ?? event.ReceivedAt ?? event.ChangedAt;
  }
}

function postmarkKind(event: PostmarkEvent): { kind: MailEventKind; providerEvent: string } {
  switch (event.RecordType) {
    case "Delivery":
      return { kind: "delivered", providerEvent: "Delivery" };
    case "Bounce":
      return { kind: postmarkBounceKind(event), providerEvent: `Bounce/${event.Type ?? event.TypeCode ?? "unknown"}` };
    case "SpamComplaint":
      return { kind: "complained", providerEvent: "SpamComplaint" };
    case "Open":
      return { kind: "opened", providerEvent: "Open" };
    case "Click":
      return { kind: "clicked", providerEvent: "Click" };
    case "SubscriptionChange": {
      // Postmark also reports the suppressions it makes after a hard bounce or complaint. Those already arrived as
      // their own records, so only a manual suppression, which is the recipient's unsubscribe, counts here.
      const unsubscribed = event.SuppressSending === true && event.SuppressionReason === "ManualSuppression";
      return { kind: unsubscribed ? "unsubscribed" : "other", providerEvent: `SubscriptionChange/${event.SuppressionReason ?? "none"}` };
    }
    default:
      return { kind: "other", providerEvent: event.RecordType };
  }
}

function postmarkBounceKind(event: PostmarkEvent): MailEventKind {
  const kind = (event.TypeCode != null ? POSTMARK_BOUNCE_CODES.get(event.TypeCode) : undefined) ?? POSTMARK_BOUNCE_TYPES.get(event.Type ?? "");
  if (kind === "complained" || kind === "unsubscribed") return kind;

  // `Inactive` means Postmark has stopped sending to the address, which is what a hard bounce means for the firm.
  if (event.Inactive === true) return "bounced_hard";
  return kind ?? "bounced_soft";
}

// ---------------------------------------------------------------------------------------------------------------
// Resend

const resendEvent = z.object({
  type: z.string().min(1),
  created_at: z.string(),
  data: z.object({
    email_id: z.string().min(1),
    to: z.union([z.string(), z.array(z.string())]).nullish(),
    tags: z.unknown().optional(),
    bounce: z.object({ type: optionalText, subType: optionalText, message: optionalText }).nullish(),
  }),
});

const RESEND_KINDS: ReadonlyMap<string, MailEventKind> = new Map([
  ["email.delivered", "delivered"],
  ["email.delivery_delayed", "deferred"],
  ["email.complained", "complained"],
  ["email.opened", "opened"],
  ["email.clicked", "clicked"],
]);

/**
 * Normalises one Resend webhook. The event id is the `svix-id` request header, which stays the same across retries
 * while the timestamp and signature change. `email.failed` (Resend could not send at all) and `email.sent` are
 * `other`, because neither reports what the recipient's server did.
 */
export function parseResendEvent(body: unknown, svixId: string): MailEvent {
  const raw = requireObject("resend", body);
  if (svixId.trim() === "") throw new InvalidMailEventError("resend", "the svix-id header is empty");
  const event = parseWith("resend", resendEvent, raw);

  const occurredAt = readTimestamp(event.created_at);
  if (!occurredAt) throw new InvalidMailEventError("resend", `created_at ${JSON.stringify(event.created_at)} is not an ISO 8601 time`);
  const to = event.data.to;

  return {
    provider: "resend",
    eventId: svixId,
    providerMessageId: event.data.email_id,
    kind: event.type === "email.bounced" ? resendBounceKind(event.data.bounce?.type ?? null) : (RESEND_KINDS.get(event.type) ?? "other"),
    providerEvent: event.type,
    // Plumbline sends each email to one recipient, so the first address is the one the event is about.
    recipient: (Array.isArray(to) ? to[0] : to) ?? null,
    occurredAt,
    detail: event.data.bounce?.message ?? null,
    metadata: readResendTags(event.data.tags),
    raw,
  };
}

/** Resend passes on Amazon SES's bounce types: Permanent, Transient or Undetermined. A bounce without one is permanent. */
function resendBounceKind(type: string | null): MailEventKind {
  return type === null || type === "Permanent" ? "bounced_hard" : "bounced_soft";
}

/** Reads Resend's tags, which arrive as an object in webhooks but are sent as `[{name, value}]`. Both shapes work. */
function readResendTags(tags: unknown): Record<string, string> {
  if (!Array.isArray(tags)) return readMetadata(tags);

  const metadata: Record<string, string> = {};
  for (const tag of tags) {
    if (typeof tag === "object" && tag !== null && typeof tag.name === "string" && typeof tag.value === "string") metadata[tag.name] = tag.value;
  }
  return metadata;
}

// ---------------------------------------------------------------------------------------------------------------
// SendGrid

const sendGridEvent = z.object({
  event: z.string().min(1),
  sg_event_id: z.string().min(1),
  timestamp: z.number(),
  email: optionalText,
  sg_message_id: optionalText,
  type: optionalText,
  reason: optionalText,
  response: optionalText,
});

/** Fields of SendGrid's event objects. Every other top-level field is one of the `custom_args` sent with the email. */
const SENDGRID_EVENT_FIELDS = new Set([
  "email",
  "timestamp",
  "smtp-id",
  "event",
  "category",
  "sg_event_id",
  "sg_message_id",
  "sg_template_id",
  "sg_template_name",
  "sg_content_type",
  "sg_machine_open",
  "response",
  "reason",
  "status",
  "type",
  "bounce_classification",
  "attempt",
  "useragent",
  "ip",
  "url",
  "url_offset",
  "tls",
  "cert_err",
  "asm_group_id",
  "marketing_campaign_id",
  "marketing_campaign_name",
  "marketing_campaign_version",
  "marketing_campaign_split_id",
  "pool",
  "send_at",
]);

const SENDGRID_KINDS: ReadonlyMap<string, MailEventKind> = new Map([
  ["delivered", "delivered"],
  ["deferred", "deferred"],
  ["open", "opened"],
  ["click", "clicked"],
  ["spamreport", "complained"],
  ["unsubscribe", "unsubscribed"],
  ["group_unsubscribe", "unsubscribed"],
]);

export interface SendGridEventBatch {
  events: MailEvent[];
  /** One error per array element that could not be read. Each message starts with the element's index. */
  invalid: InvalidMailEventError[];
}

/**
 * Normalises a SendGrid Event Webhook body, a JSON array of events from many messages. Throws
 * InvalidMailEventError only when the body is not an array. A bad element goes to `invalid` instead.
 */
export function parseSendGridEvents(body: unknown): SendGridEventBatch {
  if (!Array.isArray(body)) throw new InvalidMailEventError("sendgrid", "the body is not a JSON array of events");

  const batch: SendGridEventBatch = { events: [], invalid: [] };
  body.forEach((element: unknown, index) => {
    try {
      batch.events.push(parseSendGridEvent(element));
    } catch (error) {
      if (!(error instanceof InvalidMailEventError)) throw error;
      batch.invalid.push(new InvalidMailEventError("sendgrid", `event ${index}: ${error.message}`, error));
    }
  });
  return batch;
}

function parseSendGridEvent(element: unknown): MailEvent {
  const raw = requireObject("sendgrid", element);
  const event = parseWith("sendgrid", sendGridEvent, raw);

  return {
    provider: "sendgrid",
    eventId: event.sg_event_id,
    providerMessageId: event.sg_message_id ? sendGridMessageId(event.sg_message_id) : null,
    kind: sendGridKind(event),
    providerEvent: event.type ? `${event.event}/${event.type}` : event.event,
    recipient: event.email,
    occurredAt: new Date(event.timestamp * 1000),
    detail: event.reason ?? event.response,
    metadata: readMetadata(Object.fromEntries(Object.entries(raw).filter(([key]) => !SENDGRID_EVENT_FIELDS.has(key)))),
    raw,
  };
}

function sendGridKind(event: z.infer<typeof sendGridEvent>): MailEventKind {
  // A bounce event's `type` is "bounce" for a rejection or "blocked" for a refusal that may pass.
  if (event.event === "bounce") return event.type === "blocked" ? "bounced_soft" : "bounced_hard";

  // SendGrid drops a message without sending it when the address is invalid or on one of its suppression lists,
  // and `reason` names the list. Only a bounced or invalid address is a hard bounce. A drop for content may succeed
  // another time.
  if (event.event === "dropped") {
    const reason = (event.reason ?? "").toLowerCase();
    if (reason.includes("unsubscribe")) return "unsubscribed";
    if (reason.includes("spam reporting")) return "complained";
    if (reason.includes("bounced") || reason === "invalid") return "bounced_hard";
    return "bounced_soft";
  }

  return SENDGRID_KINDS.get(event.event) ?? "other";
}

/**
 * Cuts an `sg_message_id` back to the X-Message-Id that the send call returned. SendGrid appends a dot and a
 * `filter...` or `recvd-...` part that names the machine which processed the message.
 */
export function sendGridMessageId(sgMessageId: string): string {
  const suffix = /\.(filter|recvd-)/.exec(sgMessageId);
  return suffix ? sgMessageId.slice(0, suffix.index) : sgMessageId;
}

/** Returns true when an event's `sg_message_id` belongs to the message whose send returned `xMessageId`. */
export function matchesSendGridMessage(sgMessageId: string, xMessageId: string): boolean {
  return xMessageId !== "" && (sgMessageId === xMessageId || sgMessageId.startsWith(`${xMessageId}.`));
}

// ---------------------------------------------------------------------------------------------------------------
// Mailgun

const mailgunEventData = z.object({
  event: z.string().min(1),
  id: z.string().min(1),
  timestamp: z.number(),
  recipient: optionalText,
  severity: optionalText,
  reason: optionalText,
  "delivery-status": z.object({ message: optionalText, description: optionalText }).nullish(),
  message: z.object({ headers: z.object({ "message-id": optionalText }).nullish() }).nullish(),
  "user-variables": z.unknown().optional(),
});

const MAILGUN_KINDS: ReadonlyMap<string, MailEventKind> = new Map([
  ["delivered", "delivered"],
  ["opened", "opened"],
  ["clicked", "clicked"],
  ["complained", "complained"],
  ["unsubscribed", "unsubscribed"],
]);

/**
 * Normalises one Mailgun webhook body, `{signature, "event-data"}`. Check the signature with createMailgunVerifier
 * first. The provider message id is the Message-ID header without angle brackets, as the Mailgun adapter stores it.
 */
export function parseMailgunEvent(body: unknown): MailEvent {
  const envelope = requireObject("mailgun", body);
  const raw = requireObject("mailgun", envelope["event-data"]);
  const data = parseWith("mailgun", mailgunEventData, raw);

  const messageId = data.message?.headers?.["message-id"] ?? null;
  const status = data["delivery-status"];

  return {
    provider: "mailgun",
    eventId: data.id,
    providerMessageId: messageId ? messageId.replace(/^<(.*)>$/, "$1") : null,
    kind: data.event === "failed" ? mailgunFailureKind(data.severity, data.reason) : (MAILGUN_KINDS.get(data.event) ?? "other"),
    providerEvent: data.severity ? `${data.event}/${data.severity}` : data.event,
    recipient: data.recipient,
    occurredAt: new Date(Math.round(data.timestamp * 1000)),
    detail: status?.description || status?.message || data.reason,
    metadata: readMetadata(data["user-variables"]),
    raw,
  };
}

/**
 * Maps a `failed` event. Mailgun retries after a temporary failure, so that is a deferral. A permanent one is a hard
 * bounce, except when Mailgun skipped an address on its unsubscribe or complaint lists, or gave up after its retries.
 * NOTE: the reason `old` for "retries ran out" is unconfirmed; any other reason still maps to a hard bounce.
 */
function mailgunFailureKind(severity: string | null, reason: string | null): MailEventKind {
  if (severity === "temporary") return "deferred";
  if (reason === "old") return "bounced_soft";
  if (reason === "suppress-unsubscribe") return "unsubscribed";
  if (reason === "suppress-complaint") return "complained";
  return "bounced_hard";
}
