import { ProviderError } from "../http/errors";
import type { Mailbox, OutgoingEmail } from "./types";

/**
 * Helpers that all four mail adapters share: the checks that run before any request, mailbox formatting, and the
 * one HTTP exchange with a provider (timeout and network failures included).
 */

/** How long a provider may take to send its whole response, headers and body, unless the config sets `timeoutMs`. */
export const DEFAULT_TIMEOUT_MS = 15_000;

/** Connection settings every provider's config accepts. */
export interface MailConnectionOptions {
  /** The provider's API origin, such as a local fake in tests. Defaults to the provider's public host. */
  baseUrl?: string;
  /** Time allowed for the whole exchange, in milliseconds. Defaults to 15 s. */
  timeoutMs?: number;
}

/**
 * An email that Plumbline must not hand to any provider: a header value with a line break or control character
 * (header injection), a malformed address, or a header the adapter sets itself. Never retryable, because the same
 * email fails the same way. `field` names the offending part, such as `subject` or `headers.In-Reply-To`.
 */
export class InvalidEmailError extends ProviderError {
  override name = "InvalidEmailError";

  constructor(
    provider: string,
    readonly field: string,
    problem: string,
  ) {
    super(provider, `invalid email, ${field} ${problem}; nothing was sent`, { retryable: false, providerCode: "invalid_email" });
  }
}

/** A mail provider config that cannot work: a missing credential or a malformed base URL or domain. */
export class MailConfigError extends ProviderError {
  override name = "MailConfigError";

  constructor(provider: string, problem: string) {
    super(provider, `invalid ${provider} config: ${problem}`, { retryable: false, needsAttention: true, providerCode: "invalid_config" });
  }
}

// C0 controls (CR and LF among them), DEL, C1 controls (NEL among them), and the Unicode line and paragraph
// separators, which some mail software also treats as line ends.
const CONTROL_CHARACTER = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]/;

// RFC 5322 section 3.6.8: a field name is printable US-ASCII other than the colon.
const HEADER_NAME = /^[\u0021-\u0039\u003B-\u007E]+$/;

// A deliberately plain addr-spec: one @ with text on both sides, and none of the characters that would let an
// address end early or add another one inside a "Name <addr>" string (space, comma, semicolon, angle brackets,
// quotes, brackets, parentheses, backslash).
const ADDRESS = /^[^\s@<>,;:"()[\]\\]+@[^\s@<>,;:"()[\]\\]+$/;

// RFC 5322 msg-id in angle brackets, with no whitespace or nested brackets inside.
const MESSAGE_ID = /^<[^\s<>@]+@[^\s<>@]+>$/;

// Metadata keys become JSON keys, Mailgun form-field names (`v:key`) and Resend tag names, so they keep to the
// characters every one of those accepts.
const METADATA_KEY = /^[A-Za-z0-9_-]{1,64}$/;

/** Headers that each adapter sets from the email's own fields, so `email.headers` may not set them again. */
const ADAPTER_SET_HEADERS = new Set([
  "from",
  "to",
  "cc",
  "bcc",
  "subject",
  "reply-to",
  "message-id",
  "sender",
  "content-type",
  "content-transfer-encoding",
  "mime-version",
]);

/**
 * Throws InvalidEmailError unless every part of the email that ends up in a header is safe to send. Names, subject,
 * Message-ID, extra header values and metadata must be single lines without control characters. Addresses must be
 * plain addr-specs, and extra header names must be RFC 5322 field names that the adapter does not set itself. The
 * email needs a text or HTML body. Adapters call this before building any request.
 */
export function validateOutgoingEmail(provider: string, email: OutgoingEmail): void {
  validateMailbox(provider, "from", email.from);
  validateMailbox(provider, "to", email.to);
  if (email.replyTo !== undefined) validateAddress(provider, "replyTo", email.replyTo);

  validateHeaderValue(provider, "subject", email.subject);
  if (email.subject.trim() === "") throw new InvalidEmailError(provider, "subject", "is empty");

  validateHeaderValue(provider, "messageId", email.messageId);
  if (!MESSAGE_ID.test(email.messageId)) throw new InvalidEmailError(provider, "messageId", "is not of the form <id@domain>");

  const seen = new Set<string>();
  for (const [name, value] of Object.entries(email.headers ?? {})) {
    const field = `headers.${name}`;
    if (!HEADER_NAME.test(name)) throw new InvalidEmailError(provider, field, "has a name that is not a valid header field name");
    const lower = name.toLowerCase();
    if (ADAPTER_SET_HEADERS.has(lower)) throw new InvalidEmailError(provider, field, "is set by the adapter from the email's own fields");
    if (seen.has(lower)) throw new InvalidEmailError(provider, field, "is given twice in different letter case");
    seen.add(lower);
    validateHeaderValue(provider, field, value);
  }

  for (const [key, value] of Object.entries(email.metadata)) {
    if (!METADATA_KEY.test(key)) throw new InvalidEmailError(provider, `metadata.${key}`, "has a key other than 1 to 64 ASCII letters, digits, _ or -");
    validateHeaderValue(provider, `metadata.${key}`, value);
  }

  if (email.text === "" && email.html === "") throw new InvalidEmailError(provider, "text", "and html are both empty");
}

/** Throws InvalidEmailError when `value` contains a line break or another control character. */
export function validateHeaderValue(provider: string, field: string, value: string): void {
  const match = CONTROL_CHARACTER.exec(value);
  if (!match) return;
  const codePoint = match[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
  throw new InvalidEmailError(provider, field, `contains the control character U+${codePoint}`);
}

function validateMailbox(provider: string, field: string, mailbox: Mailbox): void {
  validateAddress(provider, `${field}.email`, mailbox.email);
  if (mailbox.name !== undefined) validateHeaderValue(provider, `${field}.name`, mailbox.name);
}

function validateAddress(provider: string, field: string, address: string): void {
  validateHeaderValue(provider, field, address);
  if (!ADDRESS.test(address)) throw new InvalidEmailError(provider, field, "is not a plain email address");
}

/**
 * Formats a mailbox as an RFC 5322 `name-addr`. An ASCII display name becomes a quoted-string (`"Hartley & Cole"
 * <a@b.example>`), so commas and other specials stay inside the name. A name with any non-ASCII character becomes
 * RFC 2047 encoded-words, which may not sit inside quotes (RFC 2047 section 5). Expects a validated mailbox.
 */
export function formatMailbox(mailbox: Mailbox): string {
  const name = mailbox.name?.trim();
  if (!name) return mailbox.email;
  return `${formatDisplayName(name)} <${mailbox.email}>`;
}

/** Quotes an ASCII display name, or encodes a non-ASCII one as RFC 2047 encoded-words. */
export function formatDisplayName(name: string): string {
  if (/^[\u0020-\u007E]*$/.test(name)) return `"${name.replace(/["\\]/g, "\\$&")}"`;
  return encodeWords(name);
}

// An encoded-word is at most 75 characters (RFC 2047 section 2). `=?UTF-8?B?` and `?=` take 12, leaving 63 for
// base64, so 60 usable characters, which carry 45 bytes.
const MAX_ENCODED_WORD_BYTES = 45;

/**
 * Encodes text as space-separated `=?UTF-8?B?...?=` words. Each word contains whole code points, because RFC 2047
 * section 5 requires every encoded-word to decode on its own; readers join adjacent words without the space.
 */
function encodeWords(text: string): string {
  const encoder = new TextEncoder();
  const words: string[] = [];
  let chunk: number[] = [];

  for (const character of text) {
    const bytes = encoder.encode(character);
    if (chunk.length + bytes.length > MAX_ENCODED_WORD_BYTES) {
      words.push(encodedWord(chunk));
      chunk = [];
    }
    chunk.push(...bytes);
  }
  if (chunk.length > 0) words.push(encodedWord(chunk));

  return words.join(" ");
}

function encodedWord(bytes: number[]): string {
  return `=?UTF-8?B?${btoa(String.fromCharCode(...bytes))}?=`;
}

/**
 * Checks a config's connection options once, when the adapter is built, and returns the base URL without a trailing
 * slash and the timeout. Plain http is allowed only for loopback hosts (local fakes), so an API key is never sent
 * in clear text.
 */
export function resolveConnection(provider: string, options: MailConnectionOptions, defaultBaseUrl: string): { baseUrl: string; timeoutMs: number } {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new MailConfigError(provider, `timeoutMs must be a positive number of milliseconds, got ${timeoutMs}`);

  const baseUrl = options.baseUrl ?? defaultBaseUrl;
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch (error) {
    throw new MailConfigError(provider, `baseUrl ${JSON.stringify(baseUrl)} is not a URL (${String(error)})`);
  }
  const loopback = url.hostname === "127.0.0.1" || url.hostname === "localhost" || url.hostname === "[::1]";
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new MailConfigError(provider, `baseUrl must use https (plain http only for loopback), got ${url.origin}`);
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new MailConfigError(provider, "baseUrl must not carry a query, fragment or credentials");
  }

  return { baseUrl: url.href.replace(/\/+$/, ""), timeoutMs };
}

/** Throws MailConfigError when a required credential or setting is missing or blank. */
export function requireSetting(provider: string, name: string, value: string | undefined): string {
  if (!value || value.trim() === "") throw new MailConfigError(provider, `${name} is missing`);
  return value;
}

/** A provider's response, read in full within the timeout. */
export interface ProviderResponse {
  status: number;
  headers: Headers;
  body: string;
}

/**
 * Sends one request to a provider and reads the whole response. A timeout or network failure throws a retryable
 * ProviderError whose message names neither the request's credentials nor its body. HTTP error statuses are
 * returned for the adapter to interpret.
 */
export async function exchange(
  provider: string,
  fetcher: typeof fetch,
  url: string,
  init: RequestInit,
  timeoutMs: number,
): Promise<ProviderResponse> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetcher(url, { ...init, signal });
    const body = await response.text();
    return { status: response.status, headers: response.headers, body };
  } catch (error) {
    // NOTE: a failure after the provider accepted the email looks the same as one before it, so the retry these
    // errors invite may send a second copy. Of the four providers only Resend deduplicates, by Idempotency-Key.
    if (signal.aborted) {
      throw new ProviderError(provider, `${provider} request timed out after ${timeoutMs} ms`, { retryable: true, providerCode: "timeout", cause: error });
    }
    throw new ProviderError(provider, `${provider} request failed with a network error`, {
      retryable: true,
      providerCode: "network_error",
      cause: error,
    });
  }
}

/**
 * Parses a response body as JSON, or returns undefined when it is not JSON. Error responses from a provider's proxy
 * or load balancer are often HTML or plain text, and callers then fall back to the HTTP status alone.
 */
export function parseJsonBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}

/** Cuts a provider's error text to a length that fits a log line and a stored failure reason. */
export function shortenProviderText(text: string, maxLength = 200): string {
  const singleLine = text.replace(/\s+/g, " ").trim();
  return singleLine.length > maxLength ? `${singleLine.slice(0, maxLength - 1)}…` : singleLine;
}
