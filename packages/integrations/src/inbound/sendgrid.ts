import { decodeBytes } from "./charset";
import { parseAddressList, parseHeaderBlock } from "./headers";
import { assembleInboundMessage } from "./message";
import { MultipartError, parseMultipartFormData, readParameters, type FormPart } from "./multipart";
import { InvalidInboundError, type AttachmentInfo, type InboundMessage } from "./types";

/**
 * Reads a SendGrid Inbound Parse POST in its default (parsed) mode: multipart/form-data whose text fields are in
 * the charsets that the `charsets` JSON field names, per field (SendGrid's Inbound Email Parse Webhook reference).
 * Each field is decoded with its own charset. A field the map leaves out is read as UTF-8. So is a field whose
 * charset the runtime does not know, and that adds a warning. File parts are recorded by name, type and size only.
 *
 * Throws InvalidInboundError when the body is not readable multipart/form-data, or when it is SendGrid's raw mode
 * (one `email` field with the whole MIME message), which needs a MIME parser such as postal-mime instead.
 */
export function parseSendGridInbound(rawBody: Uint8Array | ArrayBuffer, contentType: string): InboundMessage {
  const body = rawBody instanceof Uint8Array ? rawBody : new Uint8Array(rawBody);
  let parts: FormPart[];
  try {
    parts = parseMultipartFormData(body, contentType);
  } catch (error) {
    if (error instanceof MultipartError) throw new InvalidInboundError("sendgrid", error.message, error);
    throw error;
  }

  const warnings: string[] = [];
  const fieldParts = new Map(parts.filter((part) => part.filename === null).map((part) => [part.name, part]));
  const charsets = readJsonObject(fieldParts.get("charsets"), "charsets", warnings);

  if (fieldParts.has("email") && !fieldParts.has("text") && !fieldParts.has("html")) {
    throw new InvalidInboundError("sendgrid", 'the body carries the whole MIME message in the "email" field (the "send raw" setting); parse that field with a MIME parser');
  }

  const fields = new Map<string, string>();
  for (const [name, part] of fieldParts) fields.set(name, decodeField(part, charsets[name], warnings));

  const attachmentInfo = readJsonObject(fieldParts.get("attachment-info"), "attachment-info", warnings);
  const attachments = parts.filter((part) => part.filename !== null).map((part) => describeAttachment(part, attachmentInfo[part.name]));

  return assembleInboundMessage({
    source: "sendgrid",
    headers: parseHeaderBlock(fields.get("headers") ?? ""),
    from: parseAddressList(fields.get("from") ?? "")[0] ?? null,
    to: parseAddressList(fields.get("to") ?? ""),
    cc: parseAddressList(fields.get("cc") ?? ""),
    envelopeTo: readEnvelopeRecipients(readJsonObject(fieldParts.get("envelope"), "envelope", warnings)),
    subject: fields.get("subject") ?? null,
    text: fields.get("text") ?? null,
    html: fields.get("html") ?? null,
    attachments,
    warnings,
  });
}

/**
 * Decodes one text field. The `charsets` map wins, then a charset parameter on the part's own Content-Type, then
 * UTF-8.
 */
function decodeField(part: FormPart, mapped: unknown, warnings: string[]): string {
  const ownCharset = part.contentType ? readParameters(`;${part.contentType.replace(/^[^;]*;?/, "")}`).get("charset") : undefined;
  const label = typeof mapped === "string" && mapped.trim() !== "" ? mapped : (ownCharset ?? "utf-8");

  const decoded = decodeBytes(part.body, label);
  if (!decoded.supported) warnings.push(`field ${part.name}: charset ${JSON.stringify(label)} is not supported, decoded as UTF-8`);
  if (decoded.replaced) warnings.push(`field ${part.name}: bytes invalid in ${decoded.encoding} were replaced with U+FFFD`);
  return decoded.text;
}

/** Parses a JSON-object field such as `charsets`. A missing field gives `{}`, and invalid JSON adds a warning. */
function readJsonObject(part: FormPart | undefined, name: string, warnings: string[]): Record<string, unknown> {
  if (!part) return {};
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(part.body));
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // Reported below, like a JSON value that is not an object.
  }
  warnings.push(`field ${name}: not a JSON object, ignored`);
  return {};
}

/** Reads the `to` of SendGrid's `envelope` field (`{"to": [...], "from": "..."}`), a list or a single address. */
function readEnvelopeRecipients(envelope: Record<string, unknown>): string[] {
  const to = envelope.to;
  const candidates = Array.isArray(to) ? to : [to];
  return candidates.filter((address): address is string => typeof address === "string" && address.trim() !== "").map((address) => address.trim());
}

/** Describes a file part, taking from `attachment-info` what the part's own headers leave out. */
function describeAttachment(part: FormPart, info: unknown): AttachmentInfo {
  const details = typeof info === "object" && info !== null ? (info as Record<string, unknown>) : {};
  let infoName: string | null = null;
  if (typeof details.filename === "string") infoName = details.filename;
  else if (typeof details.name === "string") infoName = details.name;
  const infoType = typeof details.type === "string" ? details.type : null;

  return {
    name: part.filename || infoName || part.name,
    type: (part.contentType ?? infoType ?? "application/octet-stream").split(";")[0]!.trim(),
    size: part.body.length,
  };
}
