import type { Mailbox } from "../mail/types";
import { decodeEncodedWords, firstHeader, parseAddressList, parseMailDate, readMessageId, readMessageIds, toHeaderMap, type HeaderField } from "./headers";
import type { AttachmentInfo, AutoSubmittedSignals, InboundMessage, InboundSource } from "./types";

/**
 * Fields a provider normaliser has read, before the shared rules fill the gaps. A field left undefined, or an empty
 * list of recipients, is taken from the raw headers instead. Threading ids always come from the headers, because
 * providers either pass them through raw or replace them with their own, as Postmark's `MessageID` does.
 */
export interface InboundDraft {
  source: InboundSource;
  headers: HeaderField[];
  from?: Mailbox | null;
  to?: Mailbox[];
  cc?: Mailbox[];
  envelopeTo?: string[];
  /** Already decoded by the provider. */
  subject?: string | null;
  date?: string | null;
  text?: string | null;
  html?: string | null;
  attachments?: AttachmentInfo[];
  warnings?: string[];
}

export function assembleInboundMessage(draft: InboundDraft): InboundMessage {
  const headers = toHeaderMap(draft.headers);
  const attachments = draft.attachments ?? [];

  const subjectHeader = firstHeader(headers, "subject");
  const subject = draft.subject ?? (subjectHeader === null ? "" : decodeEncodedWords(subjectHeader));

  return {
    source: draft.source,
    from: draft.from ?? readAddresses(headers, "from")[0] ?? null,
    to: draft.to && draft.to.length > 0 ? draft.to : readAddresses(headers, "to"),
    cc: draft.cc && draft.cc.length > 0 ? draft.cc : readAddresses(headers, "cc"),
    envelopeTo: draft.envelopeTo ?? [],
    subject,
    messageId: readMessageId(firstHeader(headers, "message-id")),
    inReplyTo: readMessageId(firstHeader(headers, "in-reply-to")),
    references: readMessageIds((headers["references"] ?? []).join(" ")),
    date: parseMailDate(draft.date ?? firstHeader(headers, "date")),
    text: draft.text ?? "",
    html: draft.html ?? "",
    headers,
    attachments,
    autoSubmitted: readAutoSubmittedSignals(headers, attachments),
    warnings: draft.warnings ?? [],
  };
}

function readAddresses(headers: Record<string, string[]>, name: string): Mailbox[] {
  return (headers[name] ?? []).flatMap(parseAddressList);
}

/** Reads the headers that mark automatic mail. AutoSubmittedSignals describes each one. */
export function readAutoSubmittedSignals(headers: Record<string, string[]>, attachments: AttachmentInfo[]): AutoSubmittedSignals {
  const contentType = firstHeader(headers, "content-type") ?? "";
  const reportType = /;\s*report-type\s*=\s*"?([^";\s]+)/i.exec(contentType)?.[1]?.toLowerCase();
  const isReport = /^\s*multipart\/report\b/i.test(contentType) && reportType === "delivery-status";

  return {
    autoSubmitted: trimmed(firstHeader(headers, "auto-submitted")),
    autoResponseSuppress: trimmed(firstHeader(headers, "x-auto-response-suppress")),
    precedence: trimmed(firstHeader(headers, "precedence")),
    autoReply: trimmed(firstHeader(headers, "x-autoreply") ?? firstHeader(headers, "x-autorespond")),
    deliveryStatusReport: isReport || attachments.some((attachment) => attachment.type.toLowerCase().startsWith("message/delivery-status")),
  };
}

function trimmed(value: string | null): string | null {
  const text = value?.trim();
  return text ? text : null;
}
