import { ProviderError, isRetryableStatus } from "../http/errors";
import {
  DEFAULT_TIMEOUT_MS,
  DIGEST_SUMMARY_MAX_CHARS,
  DIGEST_TITLE_MAX_CHARS,
  ELLIPSIS,
  EMPTY_VALUE,
  LABEL_MAX_CHARS,
  TITLE_MAX_CHARS,
  checkAlertLink,
  checkWebhookUrl,
  cleanLine,
  measureUserText,
  takeUserText,
  jsonStringBytes,
  largestFittingCount,
  moreText,
  postJson,
  retryableHttpError,
  shrinkToBudget,
  utf8Length,
  type ContentLimits,
  type MeasuredText,
  type WebhookResponse,
  type UserText,
  type WebhookAdapterOptions,
  type WebhookUrlCheck,
} from "./text";
import type { ChatAdapter, ChatAlert, DigestAlert, EnquiryAlert } from "./types";

/**
 * Microsoft documents a limit of about 28 KB for a message a flow posts to Teams, which fails above it with
 * "Request Entity too large" (Microsoft Learn, Microsoft Teams connector reference, known issues and limitations).
 * We read it as 28,000 bytes, the smaller meaning of KB. The flow wraps our card in its own message, whose overhead
 * is not documented, so the budget is 4,000 bytes lower.
 */
export const TEAMS_MESSAGE_LIMIT_BYTES = 28_000;
export const TEAMS_PAYLOAD_BUDGET_BYTES = TEAMS_MESSAGE_LIMIT_BYTES - 4_000;

/**
 * Hosts that Teams Workflows webhook URLs are issued on: Azure Logic Apps trigger URLs
 * (`prod-NN.<region>.logic.azure.com`) and the Power Platform URLs Microsoft moved flows to in 2025
 * (`<environment>.environment.api.powerplatform.com`). Both are commercial cloud; government clouds use other hosts.
 */
export const TEAMS_WEBHOOK_HOST_SUFFIXES: readonly string[] = [".logic.azure.com", ".environment.api.powerplatform.com"];

const ADAPTIVE_CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive";
const ADAPTIVE_CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json";

const MESSAGE_FLOOR_BYTES = 1_000;
const FIELD_VALUE_FLOOR_BYTES = 200;

// A deleted flow or a revoked signature gets 401, 403 or 404, and 410 is taken to mean the same.
// NOTE: the status a switched-off flow responds with is unconfirmed. With any other status, the alert fails as
// not retryable without asking for attention.
const DISCONNECTED_STATUSES = new Set([401, 403, 404, 410]);

export interface TeamsTextBlock {
  type: "TextBlock";
  text: string;
  wrap: true;
  weight?: "Bolder";
  size?: "Medium";
  isSubtle?: true;
  spacing?: "None";
}

export interface TeamsFactSet {
  type: "FactSet";
  facts: Array<{ title: string; value: string }>;
}

export interface TeamsCard {
  type: "AdaptiveCard";
  $schema: string;
  version: "1.4";
  body: Array<TeamsTextBlock | TeamsFactSet>;
  actions?: Array<{ type: "Action.OpenUrl"; title: string; url: string }>;
}

/** The envelope a Workflows webhook expects: one Adaptive Card attachment. */
export interface TeamsMessage {
  type: "message";
  attachments: Array<{ contentType: typeof ADAPTIVE_CARD_CONTENT_TYPE; contentUrl: null; content: TeamsCard }>;
}

// Adaptive Card TextBlocks and facts render a Markdown subset: bold, italic, lists and links. User text is
// escaped with CommonMark backslash escapes, which the Adaptive Cards renderers implement, so `[x](url)` cannot
// hide a link and `**`, `_`, `~` or a leading `-` or `1.` cannot format. The escapes are chosen over look-alike
// characters because they leave the displayed text exactly as typed.
// NOTE: older Teams mobile builds showed the backslashes; that costs looks, not safety.
const ALWAYS_ESCAPED = new Set(["\\", "*", "_", "`", "~", "[", "]", "<", ">"]);
const ESCAPED_AT_LINE_START = new Set(["-", "+", "#", "="]);
const WORD_JOINER = "\u2060";

/**
 * Escapes user text given as code points, returning one piece for each. A line feed becomes a blank line,
 * because Markdown joins single lines. A second `{` in a row gets an invisible word joiner before it, so the text
 * cannot form the card's `{{DATE(...)}}` or `{{TIME(...)}}` functions, which are expanded before Markdown.
 */
function markdownPieces(codePoints: string[]): string[] {
  const pieces: string[] = [];
  let atLineStart = true;
  let afterLeadingDigits = false;
  let previous = "";

  for (const codePoint of codePoints) {
    if (codePoint === "\n") {
      pieces.push("\n\n");
      atLineStart = true;
      afterLeadingDigits = false;
      previous = codePoint;
      continue;
    }

    const escape =
      ALWAYS_ESCAPED.has(codePoint) ||
      (atLineStart && ESCAPED_AT_LINE_START.has(codePoint)) ||
      (afterLeadingDigits && (codePoint === "." || codePoint === ")"));
    if (escape) pieces.push(`\\${codePoint}`);
    else if (codePoint === "{" && previous === "{") pieces.push(WORD_JOINER + codePoint);
    else pieces.push(codePoint);

    const isDigit = codePoint >= "0" && codePoint <= "9";
    if (atLineStart && (codePoint === " " || codePoint === "\t")) {
      // Indentation still counts as the start of the line for list and heading markers.
    } else if ((atLineStart || afterLeadingDigits) && isDigit) {
      atLineStart = false;
      afterLeadingDigits = true;
    } else {
      atLineStart = false;
      afterLeadingDigits = false;
    }
    previous = codePoint;
  }
  return pieces;
}

/** Escapes user text for a TextBlock or fact. */
export function escapeTeamsMarkdown(text: string): string {
  return markdownPieces(Array.from(text)).join("");
}

/** Escapes user text and measures it in JSON bytes, so that a cut never falls inside an escape. */
function measureMarkdown(text: UserText): MeasuredText {
  return measureUserText(text, markdownPieces, jsonStringBytes);
}

function payloadBytes(message: TeamsMessage): number {
  return utf8Length(JSON.stringify(message));
}

/** Formats a Markdown link to one of our URLs, percent-encoding parentheses because `)` would end the link. */
function markdownLink(href: string, labelMarkdown: string): string {
  return `[${labelMarkdown}](${href.replace(/\(/g, "%28").replace(/\)/g, "%29")})`;
}

function envelope(card: Omit<TeamsCard, "type" | "$schema" | "version">): TeamsMessage {
  return {
    type: "message",
    attachments: [
      {
        contentType: ADAPTIVE_CARD_CONTENT_TYPE,
        contentUrl: null,
        content: { type: "AdaptiveCard", $schema: ADAPTIVE_CARD_SCHEMA, version: "1.4", ...card },
      },
    ],
  };
}

function titleBlock(title: string): TeamsTextBlock {
  return { type: "TextBlock", text: escapeTeamsMarkdown(title) || EMPTY_VALUE, weight: "Bolder", size: "Medium", wrap: true };
}

/** Builds the Workflows envelope for an alert, within the Teams size budget. */
export function buildTeamsMessage(alert: ChatAlert): TeamsMessage {
  return alert.kind === "enquiry" ? buildEnquiryMessage(alert) : buildDigestMessage(alert);
}

function buildEnquiryMessage(alert: EnquiryAlert): TeamsMessage {
  const title = cleanLine(alert.title, TITLE_MAX_CHARS);
  const fields = alert.fields.map((field) => ({
    label: escapeTeamsMarkdown(cleanLine(field.label, LABEL_MAX_CHARS)),
    value: measureMarkdown(takeUserText(field.value, TEAMS_PAYLOAD_BUDGET_BYTES)),
  }));
  const message = measureMarkdown(takeUserText(alert.message ?? "", TEAMS_PAYLOAD_BUDGET_BYTES));
  const href = checkAlertLink("teams", alert.link.url);
  const linkLabel = cleanLine(alert.link.label, LABEL_MAX_CHARS) || "Open in Plumbline";

  const start: ContentLimits = {
    message: message.total,
    fieldValue: fields.reduce((longest, field) => Math.max(longest, field.value.total), 0),
    fieldCount: fields.length,
  };

  const build = (limits: ContentLimits): TeamsMessage => {
    const facts = fields.slice(0, limits.fieldCount).map((field) => ({
      title: field.label,
      value: field.value.total > 0 ? field.value.clip(limits.fieldValue) || ELLIPSIS : EMPTY_VALUE,
    }));
    const hidden = fields.length - limits.fieldCount;
    if (hidden > 0) facts.push({ title: "", value: moreText(hidden) });

    const body: TeamsCard["body"] = [titleBlock(title)];
    if (facts.length > 0) body.push({ type: "FactSet", facts });

    const clippedMessage = message.clip(limits.message);
    if (clippedMessage) body.push({ type: "TextBlock", text: clippedMessage, wrap: true });

    // Action titles are plain text, not Markdown, so the label is not escaped.
    return envelope({ body, actions: [{ type: "Action.OpenUrl", title: linkLabel, url: href }] });
  };

  return shrinkToBudget(
    TEAMS_PAYLOAD_BUDGET_BYTES,
    start,
    { message: MESSAGE_FLOOR_BYTES, fieldValue: FIELD_VALUE_FLOOR_BYTES },
    build,
    payloadBytes,
  );
}

function buildDigestMessage(alert: DigestAlert): TeamsMessage {
  const title = cleanLine(alert.title, TITLE_MAX_CHARS);
  const itemBlocks = alert.items.map((item): TeamsTextBlock[] => {
    const href = checkAlertLink("teams", item.link.url);
    const itemTitle = escapeTeamsMarkdown(cleanLine(item.title, DIGEST_TITLE_MAX_CHARS)) || EMPTY_VALUE;
    const summary = escapeTeamsMarkdown(cleanLine(item.summary, DIGEST_SUMMARY_MAX_CHARS));
    const link: TeamsTextBlock = { type: "TextBlock", text: markdownLink(href, itemTitle), wrap: true };
    return summary ? [link, { type: "TextBlock", text: summary, wrap: true, isSubtle: true, spacing: "None" }] : [link];
  });

  const build = (count: number): TeamsMessage => {
    const body: TeamsCard["body"] = [titleBlock(title), ...itemBlocks.slice(0, count).flat()];
    const hidden = itemBlocks.length - count;
    if (hidden > 0) body.push({ type: "TextBlock", text: moreText(hidden), wrap: true, isSubtle: true });
    return envelope({ body });
  };

  const count = largestFittingCount(itemBlocks.length, (candidate) => payloadBytes(build(candidate)) <= TEAMS_PAYLOAD_BUDGET_BYTES);
  return build(count);
}

/**
 * Checks a Teams webhook URL for the settings page. Retired Office 365 connector URLs get their own message,
 * because the fix is a new Workflows webhook, not a corrected URL. Otherwise the URL must be https, or http with
 * `allowHttp` for a local fake. Its host must end with one of `allowedHostSuffixes`, and an entry without a
 * leading dot matches that exact host only.
 */
export function validateTeamsWebhookUrl(
  url: string,
  allowedHostSuffixes: readonly string[] = TEAMS_WEBHOOK_HOST_SUFFIXES,
  options: { allowHttp?: boolean } = {},
): WebhookUrlCheck {
  if (isRetiredConnectorUrl(url)) {
    return {
      ok: false,
      reason: "retired_connector",
      message:
        "This is an Office 365 connector URL, and Microsoft has retired those connectors. In Teams, create a webhook with the Workflows app (the \"When a Teams webhook request is received\" trigger) and paste its URL here.",
    };
  }

  const checked = checkWebhookUrl(url, "Teams", allowedHostSuffixes, options);
  return checked.ok ? { ok: true, url: checked.url.href } : checked;
}

function isRetiredConnectorUrl(raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return false;
  }

  const host = url.hostname.toLowerCase();
  if (host === "webhook.office.com" || host.endsWith(".webhook.office.com")) return true;
  return (host === "outlook.office.com" || host === "outlook.office365.com") && url.pathname.toLowerCase().startsWith("/webhook");
}

/** Reads the error code from an Azure error body, `{"error":{"code":"...","message":"..."}}`. */
function azureErrorCode(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown } };
    const code = parsed.error?.code;
    return typeof code === "string" && /^[A-Za-z0-9_.-]{1,64}$/.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

/** Maps a non-2xx response from a Workflows webhook to a ProviderError. */
export function teamsErrorFromResponse(response: WebhookResponse): ProviderError {
  const code = azureErrorCode(response.body);
  const providerCode = code ?? `http_${response.status}`;

  if (DISCONNECTED_STATUSES.has(response.status)) {
    return new ProviderError(
      "teams",
      `The Teams workflow no longer accepts messages (${providerCode}, HTTP ${response.status}). Someone at the firm must check the workflow in Teams, or create a new one and update its URL in Plumbline.`,
      { retryable: false, needsAttention: true, status: response.status, providerCode },
    );
  }
  if (isRetryableStatus(response.status)) return retryableHttpError("teams", "Teams", response, providerCode);

  const reason = response.status === 413 ? "rejected the alert as too large" : `rejected the alert with HTTP ${response.status}`;
  return new ProviderError("teams", `Teams ${reason} (${providerCode}). Retrying the same message will not help.`, {
    retryable: false,
    status: response.status,
    providerCode,
  });
}

export type TeamsAdapterOptions = WebhookAdapterOptions;

/**
 * Creates a Teams adapter. Throws a ProviderError that needs attention when the webhook URL is unusable, such as
 * a retired connector URL, so a bad configuration fails once at setup.
 */
export function createTeamsAdapter(options: TeamsAdapterOptions): ChatAdapter {
  const allowedHosts = [...(options.allowedHosts ?? TEAMS_WEBHOOK_HOST_SUFFIXES), ...(options.extraAllowedHosts ?? [])];
  const checked = validateTeamsWebhookUrl(options.webhookUrl, allowedHosts, { allowHttp: options.allowInsecureHttp === true });
  if (!checked.ok) {
    throw new ProviderError("teams", checked.message, { retryable: false, needsAttention: true, providerCode: checked.reason });
  }

  const webhookUrl = checked.url;
  const fetcher = options.fetcher ?? fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  return {
    provider: "teams",
    async send(alert) {
      const message = buildTeamsMessage(alert);
      const response = await postJson("teams", "Teams", webhookUrl, JSON.stringify(message), { fetcher, timeoutMs });
      if (response.status >= 200 && response.status < 300) return { provider: "teams" };
      throw teamsErrorFromResponse(response);
    },
  };
}
