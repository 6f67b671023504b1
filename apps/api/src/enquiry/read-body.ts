import { ENQUIRY_LIMITS, RESERVED_FORM_FIELDS, submissionBodySchema, type SubmissionBody } from "@plumbline/core";
import { ApiError } from "../errors";

/** Encoding the submission arrived in, which decides the form of the response. */
export type SubmissionEncoding = "json" | "text" | "urlencoded" | "multipart";

export interface ReadSubmission {
  encoding: SubmissionEncoding;
  body: SubmissionBody;
}

/**
 * Reads the request body up to the byte cap. Content-Length is checked first, but the stream is counted too,
 * since a chunked body has no Content-Length.
 */
async function readCappedBytes(request: Request): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > ENQUIRY_LIMITS.maxBodyBytes) throw bodyTooLarge();
  if (!request.body) return new Uint8Array();

  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > ENQUIRY_LIMITS.maxBodyBytes) {
      await reader.cancel();
      throw bodyTooLarge();
    }
    chunks.push(value);
  }

  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

function bodyTooLarge(): ApiError {
  return new ApiError("payload_too_large", `The enquiry is too large to send (over ${ENQUIRY_LIMITS.maxBodyBytes / 1024} KB). Shorten the message and try again.`, {
    details: { maxBytes: ENQUIRY_LIMITS.maxBodyBytes },
  });
}

function mediaType(request: Request): string {
  return (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
}

/** Parses a submission in any accepted encoding into the one body shape the snippet sends as JSON. */
export async function readSubmission(request: Request): Promise<ReadSubmission> {
  const type = mediaType(request);
  const encoding = encodingOf(type);
  const bytes = await readCappedBytes(request);

  if (encoding === "json" || encoding === "text") {
    return { encoding, body: parseJsonBody(bytes) };
  }

  const entries =
    encoding === "urlencoded"
      ? decodeUrlEncoded(bytes, charsetOf(request))
      : await readMultipartEntries(bytes, request.headers.get("content-type") ?? "");
  return { encoding, body: fromFormEntries(entries) };
}

function encodingOf(type: string): SubmissionEncoding {
  switch (type) {
    case "application/json":
      return "json";
    // navigator.sendBeacon with a string sends text/plain, which also avoids a CORS preflight.
    case "text/plain":
      return "text";
    case "application/x-www-form-urlencoded":
      return "urlencoded";
    case "multipart/form-data":
      return "multipart";
    default:
      throw new ApiError(
        "unsupported_media_type",
        `Content-Type ${type ? `"${type}"` : "(none)"} is not accepted. Send application/json, text/plain carrying JSON, application/x-www-form-urlencoded or multipart/form-data.`,
      );
  }
}

/** Returns the `charset` parameter of the Content-Type, lower-cased, or utf-8 when absent. */
function charsetOf(request: Request): string {
  const match = /;\s*charset="?([^";\s]+)"?/i.exec(request.headers.get("content-type") ?? "");
  return (match?.[1] ?? "utf-8").toLowerCase();
}

/**
 * Decodes a urlencoded body in its declared charset. URLSearchParams always reads percent-escapes as UTF-8, so a
 * form whose page is ISO-8859-1 (accept-charset, or an old site) would turn "Ren%E9e" into "Ren\uFFFDe". Here each
 * name and value is percent-decoded to bytes first and then decoded with the declared charset.
 */
function decodeUrlEncoded(bytes: Uint8Array, charset: string): [string, string][] {
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charset, { fatal: true, ignoreBOM: false });
  } catch {
    throw new ApiError("unsupported_media_type", `The charset "${charset.slice(0, 40)}" is not supported. Send the form as UTF-8.`);
  }

  const text = new TextDecoder("latin1").decode(bytes);
  const decode = (part: string): string => {
    const raw = part.replace(/\+/g, " ");
    const out: number[] = [];
    for (let i = 0; i < raw.length; i++) {
      const hex = raw[i] === "%" ? raw.slice(i + 1, i + 3) : "";
      if (/^[0-9a-fA-F]{2}$/.test(hex)) {
        out.push(parseInt(hex, 16));
        i += 2;
      } else {
        out.push(raw.charCodeAt(i) & 0xff);
      }
    }
    try {
      return decoder.decode(new Uint8Array(out));
    } catch {
      throw new ApiError("invalid_request", `The form data is not valid ${charset}.`);
    }
  };

  return text
    .split("&")
    .filter((pair) => pair.length > 0)
    .map((pair) => {
      const equals = pair.indexOf("=");
      return equals === -1 ? [decode(pair), ""] : [decode(pair.slice(0, equals)), decode(pair.slice(equals + 1))];
    });
}

function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new ApiError("invalid_request", `The ${what} is not valid UTF-8.`);
  }
}

function parseJsonBody(bytes: Uint8Array): SubmissionBody {
  let raw: unknown;
  try {
    raw = JSON.parse(decodeUtf8(bytes, "body"));
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError("invalid_request", "The body is not valid JSON.");
  }

  const parsed = submissionBodySchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join(".") || "body";
    // A value that is only too long is a size problem, so it gets 413 like every other cap.
    if (issue.code === "too_big") {
      throw new ApiError("payload_too_large", `${field} is longer than allowed.`, { field, details: { maximum: issue.maximum } });
    }
    throw new ApiError("validation_failed", `${field}: ${issue.message}`, { field });
  }
  return parsed.data;
}

async function readMultipartEntries(bytes: Uint8Array, contentType: string): Promise<[string, string][]> {
  let form: FormData;
  try {
    form = await new Response(bytes, { headers: { "content-type": contentType } }).formData();
  } catch {
    throw new ApiError("invalid_request", "The multipart body could not be parsed.");
  }

  const entries: [string, string][] = [];
  // File inputs are not part of an enquiry; their parts are left out rather than stored as text.
  form.forEach((value, name) => {
    if (typeof value === "string") entries.push([name, value]);
  });
  return entries;
}

/** Builds the JSON body shape from flat form fields; repeated names (checkbox groups) are joined. */
function fromFormEntries(entries: [string, string][]): SubmissionBody {
  const fields: Record<string, string> = {};
  let submissionId: string | undefined;
  let attributionText: string | undefined;
  let pageUrl: string | undefined;
  let turnstileToken: string | undefined;

  for (const [name, value] of entries) {
    switch (name) {
      case RESERVED_FORM_FIELDS.submissionId:
        submissionId = value || undefined;
        break;
      case RESERVED_FORM_FIELDS.attribution:
        attributionText = value || undefined;
        break;
      case RESERVED_FORM_FIELDS.pageUrl:
        pageUrl = value || undefined;
        break;
      case RESERVED_FORM_FIELDS.turnstileToken:
        turnstileToken = value || undefined;
        break;
      default:
        fields[name] = name in fields ? `${fields[name]}, ${value}` : value;
    }
  }

  let attribution: unknown;
  if (attributionText !== undefined) {
    try {
      attribution = JSON.parse(attributionText);
    } catch {
      throw new ApiError("validation_failed", `${RESERVED_FORM_FIELDS.attribution} is not valid JSON.`, {
        field: RESERVED_FORM_FIELDS.attribution,
      });
    }
  }

  const encoded = new TextEncoder().encode(JSON.stringify({ submissionId, fields, attribution, pageUrl, turnstileToken }));
  return parseJsonBody(encoded);
}
