import { ProviderError, parseRetryAfter } from "../http/errors";

// Helpers shared by the Slack and Teams adapters: cleaning and clipping user text, fitting a payload into a size
// budget, checking webhook URLs, and posting JSON with a timeout.

export const ELLIPSIS = "…";

/** Shown where a field has no value, because both chat tools reject or collapse empty text. */
export const EMPTY_VALUE = "—";

/** Maximum lengths of a title and a label, which are single lines cut short so they cannot crowd out the rest. */
export const TITLE_MAX_CHARS = 150;
export const LABEL_MAX_CHARS = 100;

/** A digest is a list to scan, so each item's title and summary are kept short, whatever the tool allows. */
export const DIGEST_TITLE_MAX_CHARS = 150;
export const DIGEST_SUMMARY_MAX_CHARS = 280;

export const DEFAULT_TIMEOUT_MS = 10_000;

// Bidirectional embedding, override and isolate controls can make text display in a different order from the
// one it is stored in, for example to disguise an address. Removing them shows the text in stored order.
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;
// C0 and C1 control characters other than tab and line feed, which render as nothing or as boxes.
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;

/**
 * Normalises user text before escaping: replaces lone surrogates, turns CR LF into LF, removes control and
 * bidirectional formatting characters, and limits blank lines to one. `singleLine` turns line breaks into spaces.
 */
export function cleanUserText(text: string, options: { singleLine?: boolean } = {}): string {
  let cleaned = text.toWellFormed().replace(/\r\n?/g, "\n").replace(CONTROL_CHARACTERS, "").replace(BIDI_CONTROLS, "");
  cleaned = options.singleLine ? cleaned.replace(/\s*\n\s*/g, " ") : cleaned.replace(/\n{3,}/g, "\n\n");
  return cleaned.trim();
}

/** Cleaned user text; `cutShort` records that its end was dropped before cleaning, so it must show an ellipsis. */
export interface UserText {
  text: string;
  cutShort: boolean;
}

// Escaping and JSON encoding never make text shorter, so no more than `maxUnits` code units of the input can be
// shown. The margin covers characters that cleaning removes.
const PRE_CUT_MARGIN = 64;

/**
 * Cleans user text that will be cut to at most `maxUnits` (code units or bytes), first dropping what cannot fit so
 * that escaping and measuring a megabyte of input costs no more than a short message.
 */
export function takeUserText(raw: string, maxUnits: number, options: { singleLine?: boolean } = {}): UserText {
  const bound = maxUnits + PRE_CUT_MARGIN;
  if (raw.length <= bound) return { text: cleanUserText(raw, options), cutShort: false };

  // Keep a surrogate pair whole rather than leave its first half at the end.
  const end = isHighSurrogate(raw.charCodeAt(bound - 1)) ? bound - 1 : bound;
  return { text: cleanUserText(raw.slice(0, end), options), cutShort: true };
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** Cleans a title or label to one line and cuts it to `maxChars` code units. */
export function cleanLine(text: string, maxChars: number): string {
  return measureUserText(takeUserText(text, maxChars, { singleLine: true }), (codePoints) => codePoints, utf16Length).clip(maxChars);
}

/** Escaped user text with its cost, so that it can be cut to many limits cheaply. */
export interface MeasuredText {
  /** The cost of the whole escaped text. */
  total: number;
  /** Returns the escaped text cut so that its cost, with the ellipsis added when it cuts, is at most `max`. */
  clip(max: number): string;
}

const graphemeSegmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

// Intl.Segmenter is slow on long strings (in Node 22, 30,000 ASCII characters take seconds), so it only receives
// this many code points on each side of a cut. A grapheme cluster longer than the window, such as a stack of
// combining marks, may still be cut inside.
const BOUNDARY_WINDOW = 16;

/**
 * Escapes user text one code point at a time with `escape`, which returns one piece per code point, and measures
 * each piece with `cost`. A cut moves back to the start of a grapheme cluster, so it never separates an emoji, a
 * flag or an accent from its letter, and never falls inside an escape such as `&amp;`. Whitespace before the
 * ellipsis is dropped.
 */
export function measureUserText(
  user: UserText,
  escape: (codePoints: string[]) => string[],
  cost: (piece: string) => number,
): MeasuredText {
  const codePoints = Array.from(user.text);
  const pieces = escape(codePoints);
  const ends: number[] = [];
  let total = 0;
  for (const piece of pieces) {
    total += cost(piece);
    ends.push(total);
  }
  const whole = pieces.join("");
  const ellipsisCost = cost(ELLIPSIS);

  const clip = (max: number): string => {
    if (!user.cutShort && total <= max) return whole;
    const room = max - ellipsisCost;
    if (room <= 0) return "";

    let keepCount = graphemeStartAtOrBefore(codePoints, countAtMost(ends, room));
    while (keepCount > 0 && /^\s$/.test(codePoints[keepCount - 1] ?? "")) keepCount -= 1;
    return pieces.slice(0, keepCount).join("") + ELLIPSIS;
  };
  return { total, clip };
}

/** Counts the leading entries of an ascending array that are at most `limit`. */
function countAtMost(ascending: number[], limit: number): number {
  let low = 0;
  let high = ascending.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((ascending[middle] ?? Infinity) <= limit) low = middle + 1;
    else high = middle;
  }
  return low;
}

function isAscii(codePoint: string | undefined): boolean {
  return codePoint !== undefined && codePoint.charCodeAt(0) < 0x80;
}

/** Returns the index of the code point that starts the grapheme cluster containing `index`, or `index` itself. */
function graphemeStartAtOrBefore(codePoints: string[], index: number): number {
  if (index <= 0 || index >= codePoints.length) return index;
  // Between two ASCII characters there is always a cluster boundary, since CR LF is the only ASCII pair that joins
  // and cleaning has removed CR.
  if (isAscii(codePoints[index - 1]) && isAscii(codePoints[index])) return index;

  const from = Math.max(0, index - BOUNDARY_WINDOW);
  const window = codePoints.slice(from, index + BOUNDARY_WINDOW).join("");
  let start = from;
  let best = from;
  for (const { segment } of graphemeSegmenter.segment(window)) {
    if (start > index) break;
    best = start;
    start += Array.from(segment).length;
  }
  return best;
}

export function utf16Length(text: string): number {
  return text.length;
}

/** Counts the bytes of text in UTF-8 without encoding it. A lone surrogate counts as U+FFFD, as TextEncoder writes it. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (isHighSurrogate(code) && isLowSurrogate(text.charCodeAt(index + 1))) {
      bytes += 4;
      index += 1;
    } else bytes += 3;
  }
  return bytes;
}

/** Counts the bytes text adds inside a JSON string in UTF-8, with the escapes JSON.stringify writes. */
export function jsonStringBytes(text: string): number {
  let bytes = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 0x22 || code === 0x5c) bytes += 2;
    else if (code < 0x20) bytes += SHORT_JSON_ESCAPES.has(code) ? 2 : 6;
    else if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (isHighSurrogate(code) && isLowSurrogate(text.charCodeAt(index + 1))) {
      bytes += 4;
      index += 1;
    } else if (isHighSurrogate(code) || isLowSurrogate(code)) bytes += 6;
    else bytes += 3;
  }
  return bytes;
}

// Backspace, tab, line feed, form feed and carriage return, which JSON writes as two-character escapes.
const SHORT_JSON_ESCAPES = new Set([0x08, 0x09, 0x0a, 0x0c, 0x0d]);

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** Returns the phrase that stands for items or fields left out of a message. */
export function moreText(count: number): string {
  return `and ${count} more`;
}

/**
 * Returns the largest count in 0..total for which `fits(count)` is true, assuming that whatever fits with some
 * items also fits with fewer.
 */
export function largestFittingCount(total: number, fits: (count: number) => boolean): number {
  if (fits(total)) return total;

  let low = 0;
  let high = total - 1;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (fits(middle)) low = middle;
    else high = middle - 1;
  }
  return low;
}

/** Limits an alert's content is cut to, in the unit the provider's budget is measured in. */
export interface ContentLimits {
  message: number;
  fieldValue: number;
  fieldCount: number;
}

const MAX_SHRINK_ROUNDS = 100;

/**
 * Builds a payload and rebuilds it with tighter limits until `measure` is within `budget`. The message shrinks
 * first, down to `floor.message`. Next every field value shrinks, down to `floor.fieldValue`. Then whole fields
 * are left out from the end, and last the message goes. Returns the smallest payload tried when nothing fits.
 */
export function shrinkToBudget<T>(
  budget: number,
  start: ContentLimits,
  floor: { message: number; fieldValue: number },
  build: (limits: ContentLimits) => T,
  measure: (payload: T) => number,
): T {
  const limits = { ...start };
  let payload = build(limits);

  for (let round = 0; round < MAX_SHRINK_ROUNDS; round++) {
    const over = measure(payload) - budget;
    if (over <= 0) return payload;

    if (limits.message > floor.message) {
      limits.message = Math.max(floor.message, limits.message - over);
    } else if (limits.fieldValue > floor.fieldValue) {
      limits.fieldValue = Math.max(floor.fieldValue, Math.floor(limits.fieldValue / 2));
    } else if (limits.fieldCount > 0) {
      // Size grows about linearly with the number of fields, so dropping the overflowing share converges in a few rounds.
      const share = Math.floor((limits.fieldCount * budget) / (budget + over));
      limits.fieldCount = Math.max(0, Math.min(limits.fieldCount - 1, share));
    } else if (limits.message > 0) {
      limits.message = 0;
    } else {
      return payload;
    }

    payload = build(limits);
  }
  return payload;
}

/** Reason a webhook URL was rejected, for the settings page to show. */
export type WebhookUrlProblem =
  | "invalid_url"
  | "retired_connector"
  | "not_https"
  | "has_credentials"
  | "host_not_allowed"
  | "not_incoming_webhook";

export type WebhookUrlCheck = { ok: true; url: string } | { ok: false; reason: WebhookUrlProblem; message: string };

/**
 * Matches a host against allow-list entries: an entry that starts with a dot matches any host under that domain,
 * and any other entry matches only that exact host.
 */
export function hostIsAllowed(host: string, allowedHosts: readonly string[]): boolean {
  const normalised = host.toLowerCase();
  return allowedHosts.some((entry) => {
    const allowed = entry.toLowerCase();
    return allowed.startsWith(".") ? normalised.endsWith(allowed) && normalised.length > allowed.length : normalised === allowed;
  });
}

/** Parses a webhook URL and applies the checks common to both tools: https, no credentials, an allowed host. */
export function checkWebhookUrl(
  raw: string,
  toolName: string,
  allowedHosts: readonly string[],
  options: { allowHttp?: boolean } = {},
): { ok: true; url: URL } | { ok: false; reason: WebhookUrlProblem; message: string } {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return { ok: false, reason: "invalid_url", message: `The ${toolName} webhook URL is not a valid URL. Paste the whole URL, starting with https://.` };
  }

  const httpAllowed = options.allowHttp === true && url.protocol === "http:";
  if (url.protocol !== "https:" && !httpAllowed) {
    return { ok: false, reason: "not_https", message: `The ${toolName} webhook URL must start with https://.` };
  }
  if (url.username || url.password) {
    return { ok: false, reason: "has_credentials", message: `The ${toolName} webhook URL must not contain a user name or password.` };
  }
  if (!hostIsAllowed(url.hostname, allowedHosts)) {
    return {
      ok: false,
      reason: "host_not_allowed",
      message: `${url.hostname} is not a ${toolName} webhook host. Copy the URL ${toolName} gave you when you created the webhook.`,
    };
  }
  return { ok: true, url };
}

/** Checks that a link we put in an alert is an absolute http(s) URL, and returns it normalised. */
export function checkAlertLink(provider: string, raw: string): string {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) {
    throw new ProviderError(provider, `The alert link ${JSON.stringify(raw)} is not an absolute http(s) URL.`, {
      retryable: false,
      providerCode: "invalid_link",
    });
  }
  return url.href;
}

/** A webhook's response: status, headers and at most the first 4,096 characters of the body. */
export interface WebhookResponse {
  status: number;
  headers: Headers;
  body: string;
}

const MAX_BODY_CHARS = 4096;

/**
 * Posts a JSON body to a webhook. Network failures and timeouts become retryable ProviderErrors, and every HTTP
 * response is returned for the adapter to classify.
 */
export async function postJson(
  provider: string,
  toolName: string,
  url: string,
  body: string,
  options: { fetcher: typeof fetch; timeoutMs: number },
): Promise<WebhookResponse> {
  // Called unbound: workerd rejects `fetch` invoked as a method of another object.
  const fetcher = options.fetcher;
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    const response = await fetcher(url, {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8" },
      body,
      signal,
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text.slice(0, MAX_BODY_CHARS) };
  } catch (error) {
    if (signal.aborted) {
      throw new ProviderError(provider, `The ${toolName} webhook did not respond within ${options.timeoutMs} ms.`, {
        retryable: true,
        providerCode: "timeout",
        cause: error,
      });
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new ProviderError(provider, `The request to the ${toolName} webhook failed: ${reason}`, {
      retryable: true,
      providerCode: "network_error",
      cause: error,
    });
  }
}

/** Builds the error for a 408, 429 or 5xx response, keeping the delay that `Retry-After` requests. */
export function retryableHttpError(provider: string, toolName: string, response: WebhookResponse, providerCode: string): ProviderError {
  const retryAfterSeconds = parseRetryAfter(response.headers.get("retry-after"));
  const wait = retryAfterSeconds === undefined ? "" : ` Retry after ${retryAfterSeconds} s.`;
  const failure = response.status === 429 ? "rate-limited the alert" : `failed with HTTP ${response.status}`;
  return new ProviderError(provider, `${toolName} ${failure} (${providerCode}).${wait}`, {
    retryable: true,
    status: response.status,
    providerCode,
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
  });
}

/** Options of a chat adapter that posts to an incoming webhook. */
export interface WebhookAdapterOptions {
  webhookUrl: string;
  /** Time to wait for the webhook's response, in milliseconds; 10,000 when absent. */
  timeoutMs?: number;
  /** Hosts (or, with a leading dot, host suffixes) to accept in place of the provider's own. */
  allowedHosts?: readonly string[];
  /** Hosts accepted in addition to `allowedHosts` or the provider's own, such as a local fake's 127.0.0.1. */
  extraAllowedHosts?: readonly string[];
  /** Permission to use an http:// webhook URL, which only a local fake needs. */
  allowInsecureHttp?: boolean;
  fetcher?: typeof fetch;
}
