import { randomBytes, randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import { sendJson, sendText, type Fake, type RecordedRequest } from "./http";

/**
 * The four email providers' send endpoints, each under its own path prefix so an adapter's base URL is
 * `${fakes}/postmark`, `${fakes}/resend`, `${fakes}/sendgrid` or `${fakes}/mailgun`.
 *
 * The credential chooses the behaviour, the way providers' test keys work. The words are checked in this order:
 * - `hang` gets no response, so the adapter's timeout must end the wait;
 * - `down` gets 503;
 * - `bad`, or a credential with none of these words, gets the provider's authentication failure;
 * - `limited` gets 429 with `Retry-After: 7`;
 * - then the request is checked strictly against the provider's contract, and an invalid one gets the provider's
 *   validation error;
 * - `suppressed` gets the provider's rejection of the recipient, and `ok` its success response.
 * For Mailgun, a domain containing `missing` gets 404, as for a domain that is not in the account.
 *
 * Postmark rejects an inactive recipient at send time with ErrorCode 406. For Resend, SendGrid and Mailgun no such
 * send-time rejection is confirmed (they report suppressions by webhook), so `suppressed` returns the validation
 * error each gives for a recipient address it rejects.
 */

type Behaviour = "hang" | "down" | "bad" | "limited" | "suppressed" | "ok";

const BEHAVIOURS: Behaviour[] = ["hang", "down", "bad", "limited", "suppressed", "ok"];

/** The retry delay every fake sends with its 429. */
const RETRY_AFTER_SECONDS = "7";

function behaviourOf(credential: string | undefined): Behaviour {
  if (!credential) return "bad";
  return BEHAVIOURS.find((word) => credential.includes(word)) ?? "bad";
}

function bearerToken(request: RecordedRequest): string | undefined {
  const match = /^Bearer (.+)$/.exec(request.headers.authorization ?? "");
  return match?.[1];
}

function isJson(request: RecordedRequest): boolean {
  return (request.headers["content-type"] ?? "").toLowerCase().startsWith("application/json");
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isStringMap(value: unknown): value is Record<string, string> {
  return isRecord(value) && Object.values(value).every((entry) => typeof entry === "string");
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === "string" && value.trim() !== "";
}

// ---------------------------------------------------------------------------------------------------------------
// Postmark: POST /email, X-Postmark-Server-Token, JSON, errors as 422 {ErrorCode, Message}.

const POSTMARK_TRACK_LINKS = ["None", "HtmlAndText", "HtmlOnly", "TextOnly"];
const POSTMARK_MAX_RECIPIENTS = 50;

function postmarkError(response: ServerResponse, status: number, errorCode: number, message: string, headers: Record<string, string> = {}) {
  sendJson(response, status, { ErrorCode: errorCode, Message: message }, headers);
}

/** Returns the reason Postmark would give ErrorCode 300 for this body, or undefined when the body is valid. */
function postmarkBodyProblem(body: Record<string, unknown>): string | undefined {
  if (!nonEmptyString(body.From)) return "Invalid 'From' address: field is required.";
  if (!nonEmptyString(body.To)) return "Invalid 'To' address: field is required.";
  const recipients = [body.To, body.Cc, body.Bcc].filter(nonEmptyString).flatMap((list) => list.split(","));
  if (recipients.length > POSTMARK_MAX_RECIPIENTS) return `Too many recipients: at most ${POSTMARK_MAX_RECIPIENTS} in To, Cc and Bcc.`;
  if (!nonEmptyString(body.TextBody) && !nonEmptyString(body.HtmlBody)) return "Provide either a TextBody or an HtmlBody, or both.";
  if (body.Headers !== undefined) {
    const valid = Array.isArray(body.Headers) && body.Headers.every((header) => isRecord(header) && nonEmptyString(header.Name) && typeof header.Value === "string");
    if (!valid) return "Headers must be a list of {Name, Value} objects.";
  }
  if (body.Metadata !== undefined && !isStringMap(body.Metadata)) return "Metadata must map names to string values.";
  if (body.TrackOpens !== undefined && typeof body.TrackOpens !== "boolean") return "TrackOpens must be true or false.";
  if (body.TrackLinks !== undefined && !POSTMARK_TRACK_LINKS.includes(String(body.TrackLinks))) return "TrackLinks must be None, HtmlAndText, HtmlOnly or TextOnly.";
  if (body.MessageStream !== undefined && !nonEmptyString(body.MessageStream)) return "MessageStream must be a stream id.";
  return undefined;
}

/** Requests seen per `outage<N>` token: such a token's first N requests get a 503, the rest succeed. */
const outageCounts = new Map<string, number>();

/** Reads `outage<N>` from a token, for a provider that is down for N requests and then recovers. */
function outageLength(token: string | undefined): number {
  const match = /outage(\d+)/.exec(token ?? "");
  return match ? Number(match[1]) : 0;
}

export const postmarkFake: Fake = {
  name: "postmark",
  matches: (method, path) => method === "POST" && path === "/postmark/email",
  handle(request, response) {
    const token = request.headers["x-postmark-server-token"];
    const outage = outageLength(token);
    if (outage > 0 && token) {
      const seen = (outageCounts.get(token) ?? 0) + 1;
      outageCounts.set(token, seen);
      if (seen <= outage) return sendText(response, 503, "Service Unavailable");
    }
    const behaviour = outage > 0 ? "ok" : behaviourOf(token);

    if (behaviour === "hang") return;
    if (behaviour === "down") return sendText(response, 503, "Service Unavailable");
    if (behaviour === "bad") return postmarkError(response, 401, 10, "The X-Postmark-Server-Token header is missing or not a valid server token.");
    if (behaviour === "limited") return postmarkError(response, 429, 429, "Rate limit exceeded, slow down.", { "retry-after": RETRY_AFTER_SECONDS });

    // Postmark asks for both headers; which error it returns without Accept is unconfirmed, so this fake uses 409.
    const acceptsJson = (request.headers.accept ?? "").includes("application/json");
    if (!isJson(request) || !acceptsJson) return postmarkError(response, 422, 409, "Send Accept and Content-Type application/json.");
    const body = parseJson(request.body);
    if (!isRecord(body)) return postmarkError(response, 422, 402, "The request body is not valid JSON.");
    const problem = postmarkBodyProblem(body);
    if (problem) return postmarkError(response, 422, 300, problem);

    if (behaviour === "suppressed") {
      return postmarkError(response, 422, 406, "The recipient is inactive after a hard bounce or spam complaint.");
    }
    return sendJson(response, 200, {
      To: body.To,
      SubmittedAt: new Date().toISOString(),
      MessageID: randomUUID(),
      ErrorCode: 0,
      Message: "OK",
    });
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Resend: POST /emails, Bearer key, optional Idempotency-Key, JSON, errors as {statusCode, name, message}.

const RESEND_MAX_RECIPIENTS = 50;
const RESEND_MAX_IDEMPOTENCY_KEY_LENGTH = 256;
const RESEND_TAG_TEXT = /^[A-Za-z0-9_-]+$/;

function resendError(response: ServerResponse, statusCode: number, name: string, message: string, headers: Record<string, string> = {}) {
  sendJson(response, statusCode, { statusCode, name, message }, headers);
}

function isAddressList(value: unknown): boolean {
  if (nonEmptyString(value)) return true;
  return Array.isArray(value) && value.length > 0 && value.length <= RESEND_MAX_RECIPIENTS && value.every(nonEmptyString);
}

/** Returns Resend's error name and message for an invalid body, or undefined when the body is valid. */
function resendBodyProblem(body: Record<string, unknown>): { status: number; name: string; message: string } | undefined {
  for (const field of ["from", "to", "subject"]) {
    if (body[field] === undefined) return { status: 422, name: "missing_required_field", message: `Missing \`${field}\` field.` };
  }
  if (!nonEmptyString(body.from)) return { status: 422, name: "invalid_from_address", message: "Invalid `from` field." };
  if (!isAddressList(body.to)) return { status: 422, name: "validation_error", message: "Invalid `to` field." };
  if (typeof body.subject !== "string") return { status: 422, name: "validation_error", message: "Invalid `subject` field." };
  if (!nonEmptyString(body.text) && !nonEmptyString(body.html)) {
    return { status: 422, name: "missing_required_field", message: "Provide `html` or `text`." };
  }
  if (body.reply_to !== undefined && !isAddressList(body.reply_to)) return { status: 422, name: "validation_error", message: "Invalid `reply_to` field." };
  if (body.headers !== undefined && !isStringMap(body.headers)) return { status: 422, name: "validation_error", message: "`headers` must map names to strings." };
  if (body.tags !== undefined) {
    const valid =
      Array.isArray(body.tags) &&
      body.tags.every((tag) => isRecord(tag) && typeof tag.name === "string" && RESEND_TAG_TEXT.test(tag.name) && typeof tag.value === "string" && RESEND_TAG_TEXT.test(tag.value));
    if (!valid) return { status: 422, name: "validation_error", message: "Tag names and values allow only ASCII letters, digits, _ and -." };
  }
  return undefined;
}

export const resendFake: Fake = {
  name: "resend",
  matches: (method, path) => method === "POST" && path === "/resend/emails",
  handle(request, response) {
    const key = bearerToken(request);
    const behaviour = behaviourOf(key);

    if (behaviour === "hang") return;
    if (behaviour === "down") return resendError(response, 503, "internal_server_error", "The service is unavailable.");
    if (!key) return resendError(response, 401, "missing_api_key", "No API key in the Authorization header.");
    if (behaviour === "bad") return resendError(response, 403, "invalid_api_key", "The API key is not valid.");
    if (behaviour === "limited") {
      return resendError(response, 429, "rate_limit_exceeded", "Too many requests.", {
        "retry-after": RETRY_AFTER_SECONDS,
        "ratelimit-limit": "2",
        "ratelimit-remaining": "0",
        "ratelimit-reset": RETRY_AFTER_SECONDS,
      });
    }

    const idempotencyKey = request.headers["idempotency-key"];
    if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > RESEND_MAX_IDEMPOTENCY_KEY_LENGTH)) {
      return resendError(response, 400, "invalid_idempotency_key", `The key must be 1 to ${RESEND_MAX_IDEMPOTENCY_KEY_LENGTH} characters.`);
    }
    if (!isJson(request)) return resendError(response, 400, "validation_error", "Content-Type must be application/json.");
    const body = parseJson(request.body);
    if (!isRecord(body)) return resendError(response, 400, "validation_error", "The body is not a JSON object.");
    const problem = resendBodyProblem(body);
    if (problem) return resendError(response, problem.status, problem.name, problem.message);

    if (behaviour === "suppressed") return resendError(response, 422, "validation_error", "Invalid `to` field: the recipient is not accepted.");
    return sendJson(response, 200, { id: randomUUID() }, { "ratelimit-limit": "2", "ratelimit-remaining": "1", "ratelimit-reset": "1" });
  },
};

// ---------------------------------------------------------------------------------------------------------------
// SendGrid: POST /v3/mail/send, Bearer key, JSON, 202 with an empty body and X-Message-Id, errors as {errors: [...]}.

const SENDGRID_MAX_RECIPIENTS = 1000;
const SENDGRID_RESERVED_HEADERS = new Set([
  "x-sg-id",
  "x-sg-eid",
  "received",
  "dkim-signature",
  "content-type",
  "content-transfer-encoding",
  "to",
  "from",
  "subject",
  "reply-to",
  "cc",
  "bcc",
]);

function sendGridError(response: ServerResponse, status: number, message: string, field: string | null = null, headers: Record<string, string> = {}) {
  sendJson(response, status, { errors: [{ message, field, help: null }] }, headers);
}

function isEmailObject(value: unknown): boolean {
  return isRecord(value) && nonEmptyString(value.email) && (value.name === undefined || typeof value.name === "string");
}

/** Returns SendGrid's error message and field for an invalid body, or undefined when the body is valid. */
function sendGridBodyProblem(body: Record<string, unknown>): { message: string; field: string } | undefined {
  const personalizations = body.personalizations;
  if (!Array.isArray(personalizations) || personalizations.length === 0) {
    return { message: "At least one personalization is required.", field: "personalizations" };
  }

  let recipients = 0;
  for (const [index, personalization] of personalizations.entries()) {
    if (!isRecord(personalization) || !Array.isArray(personalization.to) || personalization.to.length === 0) {
      return { message: "Each personalization needs at least one to address.", field: `personalizations.${index}.to` };
    }
    for (const list of [personalization.to, personalization.cc ?? [], personalization.bcc ?? []]) {
      if (!Array.isArray(list) || !list.every(isEmailObject)) return { message: "The address is not valid.", field: `personalizations.${index}` };
      recipients += list.length;
    }
    if (personalization.custom_args !== undefined && !isStringMap(personalization.custom_args)) {
      return { message: "Custom args values must be strings.", field: `personalizations.${index}.custom_args` };
    }
    if (body.subject === undefined && !nonEmptyString(personalization.subject)) {
      return { message: "The subject is required.", field: "subject" };
    }
  }
  if (recipients > SENDGRID_MAX_RECIPIENTS) return { message: `At most ${SENDGRID_MAX_RECIPIENTS} recipients per request.`, field: "personalizations" };

  if (!isEmailObject(body.from)) return { message: "The from object must contain a valid email.", field: "from.email" };
  if (body.reply_to !== undefined && !isEmailObject(body.reply_to)) return { message: "The reply_to must contain a valid email.", field: "reply_to" };
  if (body.subject !== undefined && typeof body.subject !== "string") return { message: "The subject must be a string.", field: "subject" };

  const content = body.content;
  if (!Array.isArray(content) || content.length === 0) return { message: "Content is required.", field: "content" };
  const types: string[] = [];
  for (const [index, part] of content.entries()) {
    if (!isRecord(part) || !nonEmptyString(part.type) || !nonEmptyString(part.value)) {
      return { message: "Each content part needs a type and a value of at least one character.", field: `content.${index}` };
    }
    types.push(part.type);
  }
  if (types.includes("text/html") && types.includes("text/plain") && types.indexOf("text/plain") > types.indexOf("text/html")) {
    return { message: "text/plain must come before text/html.", field: "content" };
  }

  if (body.headers !== undefined) {
    if (!isStringMap(body.headers)) return { message: "Headers must map names to strings.", field: "headers" };
    const reserved = Object.keys(body.headers).find((name) => SENDGRID_RESERVED_HEADERS.has(name.toLowerCase()));
    if (reserved) return { message: `The header ${reserved} is reserved.`, field: "headers" };
  }
  return undefined;
}

export const sendGridFake: Fake = {
  name: "sendgrid",
  matches: (method, path) => method === "POST" && path === "/sendgrid/v3/mail/send",
  handle(request, response) {
    const behaviour = behaviourOf(bearerToken(request));

    if (behaviour === "hang") return;
    if (behaviour === "down") return sendText(response, 503, "Service Unavailable");
    if (behaviour === "bad") return sendGridError(response, 401, "The API key is not valid or has been revoked.");
    if (behaviour === "limited") return sendGridError(response, 429, "too many requests", null, { "retry-after": RETRY_AFTER_SECONDS });

    if (!isJson(request)) return sendGridError(response, 400, "Content-Type should be application/json.");
    const body = parseJson(request.body);
    if (!isRecord(body)) return sendGridError(response, 400, "Bad Request");
    const problem = sendGridBodyProblem(body);
    if (problem) return sendGridError(response, 400, problem.message, problem.field);

    if (behaviour === "suppressed") return sendGridError(response, 400, "The address is not valid.", "personalizations.0.to.0.email");
    response.writeHead(202, { "x-message-id": randomBytes(16).toString("base64url").slice(0, 22) });
    response.end();
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Mailgun: POST /v3/{domain}/messages, Basic api:key, multipart or urlencoded form, 200 {id, message}.

const MAILGUN_PATH = /^\/mailgun\/v3\/([^/]+)\/messages$/;
const MAILGUN_MAX_OPTION_BYTES = 16 * 1024;

function mailgunKey(request: RecordedRequest): string | undefined {
  const match = /^Basic (.+)$/.exec(request.headers.authorization ?? "");
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  return decoded.startsWith("api:") ? decoded.slice("api:".length) : undefined;
}

/** Reads a multipart or urlencoded body into ordered name-value pairs, or undefined for any other content type. */
async function mailgunFields(request: RecordedRequest): Promise<Array<[string, string]> | undefined> {
  const contentType = request.headers["content-type"] ?? "";
  if (contentType.startsWith("application/x-www-form-urlencoded")) return [...new URLSearchParams(request.body)];
  if (!contentType.startsWith("multipart/form-data")) return undefined;
  const form = await new Response(request.body, { headers: { "content-type": contentType } }).formData();
  return [...form].map(([name, value]) => [name, typeof value === "string" ? value : value.name]);
}

/** Returns Mailgun's message for invalid fields, or undefined when the fields are valid. */
function mailgunFieldsProblem(fields: Array<[string, string]>): string | undefined {
  const has = (name: string) => fields.some(([field, value]) => field === name && value.trim() !== "");
  if (!has("from")) return "from is required";
  if (!has("to")) return "to is required";
  if (!has("subject")) return "subject is required";
  if (!has("text") && !has("html")) return "text or html is required";
  const optionBytes = fields
    .filter(([name]) => /^[ohvt]:/.test(name))
    .reduce((total, [name, value]) => total + Buffer.byteLength(name) + Buffer.byteLength(value), 0);
  if (optionBytes > MAILGUN_MAX_OPTION_BYTES) return "o:, h:, v: and t: parameters exceed 16 KB";
  return undefined;
}

export const mailgunFake: Fake = {
  name: "mailgun",
  matches: (method, path) => method === "POST" && MAILGUN_PATH.test(path),
  async handle(request, response) {
    const behaviour = behaviourOf(mailgunKey(request));
    const domain = decodeURIComponent(MAILGUN_PATH.exec(request.path.split("?")[0] ?? "")?.[1] ?? "");

    if (behaviour === "hang") return;
    if (behaviour === "down") return sendText(response, 503, "Service Unavailable");
    if (behaviour === "bad") return sendText(response, 401, "Forbidden");
    if (domain.includes("missing")) return sendJson(response, 404, { message: `Domain not found: ${domain}` });
    if (behaviour === "limited") return sendJson(response, 429, { message: "Too many requests" }, { "retry-after": RETRY_AFTER_SECONDS });

    const fields = await mailgunFields(request);
    if (!fields) return sendJson(response, 400, { message: "Send the message as multipart/form-data or urlencoded form fields" });
    const problem = mailgunFieldsProblem(fields);
    if (problem) return sendJson(response, 400, { message: problem });

    if (behaviour === "suppressed") return sendJson(response, 400, { message: "'to' is not a recipient address Mailgun will take" });
    const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
    return sendJson(response, 200, { id: `<${stamp}.${randomBytes(6).toString("hex")}@${domain}>`, message: "Queued. Thank you." });
  },
};

/** All four mail provider fakes, for the shared list of fakes. */
export const mailFakes: Fake[] = [postmarkFake, resendFake, sendGridFake, mailgunFake];
