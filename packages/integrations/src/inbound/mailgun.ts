import { parseAddressList, type HeaderField } from "./headers";
import { assembleInboundMessage } from "./message";
import type { AttachmentInfo, InboundMessage } from "./types";

/** A form field as `Request.formData()` returns it, or as a test builds it. */
type MailgunFieldValue = string | File;

/**
 * Normalises the fields a Mailgun route posts with `forward()`: `from`, `subject`, `body-plain`, `body-html`,
 * `message-headers` (a JSON string of `[name, value]` pairs) and file parts `attachment-1` onwards. Mailgun's
 * "Receiving Messages via HTTP" documentation says it re-encodes these fields as UTF-8, so `Request.formData()` reads
 * them safely. Stored-message notifications list attachments in an `attachments` JSON field instead, which is read
 * too. Check the `timestamp`, `token` and `signature` fields with createMailgunVerifier first.
 */
export function normaliseMailgunInbound(fields: FormData | Record<string, MailgunFieldValue | undefined>): InboundMessage {
  const entries: Array<[string, MailgunFieldValue]> =
    fields instanceof FormData
      ? [...fields.entries()]
      : Object.entries(fields).filter((entry): entry is [string, MailgunFieldValue] => entry[1] !== undefined);
  const text = (name: string): string | null => {
    const value = entries.find(([key]) => key === name)?.[1];
    return typeof value === "string" ? value : null;
  };

  const warnings: string[] = [];
  const headers = readMessageHeaders(text("message-headers"), warnings);

  return assembleInboundMessage({
    source: "mailgun",
    headers,
    from: parseAddressList(text("from") ?? "")[0] ?? null,
    subject: text("subject"),
    text: text("body-plain"),
    html: text("body-html"),
    attachments: [...readFileAttachments(entries), ...readListedAttachments(text("attachments"), warnings)],
    warnings,
  });
}

function readMessageHeaders(json: string | null, warnings: string[]): HeaderField[] {
  if (json === null) return [];
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    warnings.push("field message-headers: not JSON, headers ignored");
    return [];
  }
  if (!Array.isArray(value)) {
    warnings.push("field message-headers: not a JSON array, headers ignored");
    return [];
  }

  return value.filter((pair): pair is [string, string] => Array.isArray(pair) && typeof pair[0] === "string" && typeof pair[1] === "string");
}

function readFileAttachments(entries: Array<[string, MailgunFieldValue]>): AttachmentInfo[] {
  const attachments: AttachmentInfo[] = [];
  for (const [key, value] of entries) {
    if (typeof value === "string" || !/^attachment-\d+$/.test(key)) continue;
    attachments.push({ name: value.name || key, type: value.type || "application/octet-stream", size: value.size });
  }
  return attachments;
}

/** Reads the `attachments` JSON field of stored-message notifications: `[{name, content-type, size, url}]`. */
function readListedAttachments(json: string | null, warnings: string[]): AttachmentInfo[] {
  if (json === null) return [];
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    warnings.push("field attachments: not JSON, ignored");
    return [];
  }
  if (!Array.isArray(value)) return [];

  return value.flatMap((item: unknown): AttachmentInfo[] => {
    if (typeof item !== "object" || item === null) return [];
    const record = item as Record<string, unknown>;
    return [
      {
        name: typeof record.name === "string" ? record.name : "attachment",
        type: typeof record["content-type"] === "string" ? record["content-type"] : "application/octet-stream",
        size: typeof record.size === "number" ? record.size : 0,
      },
    ];
  });
}
