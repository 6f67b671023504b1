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
  largestFittingCount,
  moreText,
  postJson,
  retryableHttpError,
  shrinkToBudget,
  utf16Length,
  type ContentLimits,
  type MeasuredText,
  type WebhookResponse,
  type UserText,
  type WebhookAdapterOptions,
  type WebhookUrlCheck,
} from "./text";
import type { ChatAdapter, ChatAlert, DigestAlert, EnquiryAlert } from "./types";

// Block Kit limits from Slack's reference pages on docs.slack.dev: a text object holds at most 3,000
// characters ("Text object"), a section at most 10 fields of at most 2,000 characters each ("Section block"),
// and a message at most 50 blocks ("Blocks"). Slack does not say which unit a character is. Lengths here are
// UTF-16 code units, which are never fewer than code points, so text within a limit in one is within it in both.
export const SLACK_SECTION_TEXT_MAX = 3000;
export const SLACK_FIELD_TEXT_MAX = 2000;
export const SLACK_MAX_FIELDS_PER_SECTION = 10;
export const SLACK_MAX_BLOCKS = 50;

// NOTE: Slack documents no limit on a message's total text, but a bug report on slackapi/bolt-js shows
// chat.postMessage rejecting blocks near 13,000 characters in all with `msg_blocks_too_long`. Staying under
// 12,000 is an estimate of the safe size for webhooks too.
const SLACK_TOTAL_TEXT_BUDGET = 12_000;

/**
 * Slack accepts about one message per second per incoming webhook and responds with 429 above that. Adapters keep no
 * state (Workers isolates share no memory), so the caller spaces messages to one webhook at least this far apart,
 * for example with a queue's delivery delay, or folds a burst into a digest.
 */
export const SLACK_MIN_INTERVAL_MS = 1000;

/** Hosts of Slack incoming webhooks in the commercial cloud. */
export const SLACK_WEBHOOK_HOSTS: readonly string[] = ["hooks.slack.com"];

const MESSAGE_FLOOR = 500;
const FIELD_VALUE_FLOOR = 100;

/** A mrkdwn text object. `verbatim` stops Slack from turning bare URLs, channel names and `@here` into links or mentions. */
export interface SlackText {
  type: "mrkdwn";
  text: string;
  verbatim: true;
}

export type SlackBlock =
  | { type: "section"; text: SlackText }
  | { type: "section"; fields: SlackText[] }
  | { type: "context"; elements: SlackText[] };

/** The JSON body of an incoming webhook request, whose `text` is the fallback shown in notifications. */
export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

/** Error codes in Slack's plain-text response that mean the webhook itself no longer works, so no later message will get through. */
const DISCONNECTED_CODES = new Set([
  "action_prohibited",
  "channel_not_found",
  "channel_is_archived",
  "no_service",
  "no_team",
  "team_disabled",
  "invalid_token",
  "posting_to_general_channel_denied",
  "user_not_found",
]);

/**
 * Escapes the three characters Slack's mrkdwn uses for control sequences. With them escaped, `<!channel>`,
 * `<@U123>` and `<https://x|label>` show as typed, and a line starting with `>` stays text, not a quote.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function mrkdwnPieces(codePoints: string[]): string[] {
  return codePoints.map((codePoint) => MRKDWN_ENTITIES[codePoint] ?? codePoint);
}

const MRKDWN_ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;" };

/** Escapes user text and measures it in code units, so that a cut never falls inside an entity such as `&amp;`. */
function measureMrkdwn(text: UserText): MeasuredText {
  return measureUserText(text, mrkdwnPieces, utf16Length);
}

/**
 * Escapes one line of user text that goes inside our own bold markers. There `*` and the backtick are swapped
 * for look-alikes (U+2217, U+02CB) so the text cannot end our bold early or open a code span across it. Elsewhere
 * user text keeps its characters: its own formatting stays inside its text object, and changing characters would
 * corrupt addresses and references a prospect typed.
 */
function insideBold(line: string): string {
  return escapeMrkdwn(line.replace(/\*/g, "\u2217").replace(/`/g, "\u02CB")) || EMPTY_VALUE;
}

/** Wraps user text in bold. Callers cut it first with `cleanLine`, so it stays far below every Slack limit. */
function boldMrkdwn(line: string): string {
  return `*${insideBold(line)}*`;
}

/** Formats a link in Slack's `<url|label>` form, percent-encoding `|` in the URL because it would end the URL part. */
function linkMrkdwn(href: string, labelMrkdwn: string): string {
  return `<${escapeMrkdwn(href.replace(/\|/g, "%7C"))}|${labelMrkdwn}>`;
}

function text(value: string): SlackText {
  return { type: "mrkdwn", text: value, verbatim: true };
}

function section(value: string): SlackBlock {
  return { type: "section", text: text(value) };
}

function context(value: string): SlackBlock {
  return { type: "context", elements: [text(value)] };
}

function totalTextLength(message: SlackMessage): number {
  let total = 0;
  for (const block of message.blocks) {
    if (block.type === "context") for (const element of block.elements) total += element.text.length;
    else if ("fields" in block) for (const field of block.fields) total += field.text.length;
    else total += block.text.text.length;
  }
  return total;
}

/** Builds the Block Kit message for an alert, cut to Slack's limits. */
export function buildSlackMessage(alert: ChatAlert): SlackMessage {
  return alert.kind === "enquiry" ? buildEnquiryMessage(alert) : buildDigestMessage(alert);
}

function buildEnquiryMessage(alert: EnquiryAlert): SlackMessage {
  const title = cleanLine(alert.title, TITLE_MAX_CHARS);
  const fields = alert.fields.map((field) => {
    const label = cleanLine(field.label, LABEL_MAX_CHARS);
    return { head: label ? `${boldMrkdwn(label)}\n` : "", value: measureMrkdwn(takeUserText(field.value, SLACK_FIELD_TEXT_MAX)) };
  });
  const message = measureMrkdwn(takeUserText(alert.message ?? "", SLACK_SECTION_TEXT_MAX));
  const href = checkAlertLink("slack", alert.link.url);
  const linkLabel = escapeMrkdwn(cleanLine(alert.link.label, LABEL_MAX_CHARS)) || "Open in Plumbline";

  const fixedBlocks = message.total > 0 ? 3 : 2;
  const fieldCapacity = (SLACK_MAX_BLOCKS - fixedBlocks) * SLACK_MAX_FIELDS_PER_SECTION;
  const longestValue = fields.reduce((longest, field) => Math.max(longest, field.value.total), 0);
  const start: ContentLimits = {
    message: Math.min(SLACK_SECTION_TEXT_MAX, message.total),
    fieldValue: Math.min(SLACK_FIELD_TEXT_MAX, longestValue),
    // One slot stays free for the "and N more" field when not every field fits.
    fieldCount: fields.length <= fieldCapacity ? fields.length : fieldCapacity - 1,
  };

  const build = (limits: ContentLimits): SlackMessage => {
    const fieldTexts = fields.slice(0, limits.fieldCount).map((field) => fieldMrkdwn(field.head, field.value, limits.fieldValue));
    const hidden = fields.length - limits.fieldCount;
    if (hidden > 0) fieldTexts.push(escapeMrkdwn(moreText(hidden)));

    const blocks: SlackBlock[] = [section(boldMrkdwn(title))];
    for (let index = 0; index < fieldTexts.length; index += SLACK_MAX_FIELDS_PER_SECTION) {
      blocks.push({ type: "section", fields: fieldTexts.slice(index, index + SLACK_MAX_FIELDS_PER_SECTION).map(text) });
    }

    const clippedMessage = message.clip(limits.message);
    if (clippedMessage) blocks.push(section(clippedMessage));

    blocks.push(section(linkMrkdwn(href, linkLabel)));
    return { text: escapeMrkdwn(title) || EMPTY_VALUE, blocks };
  };

  return shrinkToBudget(SLACK_TOTAL_TEXT_BUDGET, start, { message: MESSAGE_FLOOR, fieldValue: FIELD_VALUE_FLOOR }, build, totalTextLength);
}

/** Formats a field as its bold label line (empty when there is no label) over its value, within the field limit. */
function fieldMrkdwn(head: string, value: MeasuredText, valueLimit: number): string {
  const limit = Math.min(valueLimit, SLACK_FIELD_TEXT_MAX - head.length);
  const body = value.total > 0 ? value.clip(limit) || ELLIPSIS : EMPTY_VALUE;
  return head + body;
}

function buildDigestMessage(alert: DigestAlert): SlackMessage {
  const title = cleanLine(alert.title, TITLE_MAX_CHARS);
  const itemBlocks = alert.items.map((item) => {
    const href = checkAlertLink("slack", item.link.url);
    const itemTitle = cleanLine(item.title, DIGEST_TITLE_MAX_CHARS);
    const head = `*${linkMrkdwn(href, insideBold(itemTitle))}*`;
    const summary = measureMrkdwn(takeUserText(cleanLine(item.summary, DIGEST_SUMMARY_MAX_CHARS), SLACK_SECTION_TEXT_MAX));
    const clippedSummary = summary.clip(SLACK_SECTION_TEXT_MAX - head.length - 1);
    return section(clippedSummary ? `${head}\n${clippedSummary}` : head);
  });

  const build = (count: number): SlackMessage => {
    const blocks = [section(boldMrkdwn(title)), ...itemBlocks.slice(0, count)];
    const hidden = itemBlocks.length - count;
    if (hidden > 0) blocks.push(context(escapeMrkdwn(moreText(hidden))));
    return { text: escapeMrkdwn(title) || EMPTY_VALUE, blocks };
  };

  const fits = (message: SlackMessage) => message.blocks.length <= SLACK_MAX_BLOCKS && totalTextLength(message) <= SLACK_TOTAL_TEXT_BUDGET;
  return build(largestFittingCount(itemBlocks.length, (count) => fits(build(count))));
}

/**
 * Checks a Slack incoming webhook URL for the settings page: https, a Slack webhook host, and the `/services/`
 * path of an incoming webhook. Workflow Builder webhooks (`/triggers/`, `/workflows/`) take their own variables,
 * not Block Kit, so they are rejected.
 */
export function validateSlackWebhookUrl(
  url: string,
  allowedHosts: readonly string[] = SLACK_WEBHOOK_HOSTS,
  options: { allowHttp?: boolean } = {},
): WebhookUrlCheck {
  const checked = checkWebhookUrl(url, "Slack", allowedHosts, options);
  if (!checked.ok) return checked;

  if (!checked.url.pathname.includes("/services/")) {
    return {
      ok: false,
      reason: "not_incoming_webhook",
      message: "This is not a Slack incoming webhook URL. Create an incoming webhook in your Slack app and paste its URL, which contains /services/.",
    };
  }
  return { ok: true, url: checked.url.href };
}

/** Maps Slack's response to a ProviderError. Slack names its errors in the plain-text body. */
export function slackErrorFromResponse(response: WebhookResponse): ProviderError {
  const body = response.body.trim();
  const code = /^[a-z][a-z0-9_]{0,63}$/.test(body) ? body : undefined;
  const providerCode = code ?? `http_${response.status}`;

  if (code && DISCONNECTED_CODES.has(code)) return disconnected(response.status, providerCode);
  if (code === "rollup_error" || isRetryableStatus(response.status)) return retryableHttpError("slack", "Slack", response, providerCode);
  if ([401, 403, 404, 410].includes(response.status)) return disconnected(response.status, providerCode);

  const failure = response.status < 300 ? `responded with HTTP ${response.status} but not "ok"` : `rejected the alert with HTTP ${response.status}`;
  return new ProviderError("slack", `Slack ${failure} (${providerCode}). Retrying the same message will not help.`, {
    retryable: false,
    status: response.status,
    providerCode,
  });
}

function disconnected(status: number, providerCode: string): ProviderError {
  return new ProviderError(
    "slack",
    `The Slack webhook no longer accepts messages (${providerCode}, HTTP ${status}). A Slack admin must create a new incoming webhook and update it in Plumbline.`,
    { retryable: false, needsAttention: true, status, providerCode },
  );
}

export type SlackAdapterOptions = WebhookAdapterOptions;

/**
 * Creates a Slack adapter. Throws a ProviderError that needs attention when the webhook URL is unusable, so a
 * bad configuration fails once at setup.
 */
export function createSlackAdapter(options: SlackAdapterOptions): ChatAdapter {
  const allowedHosts = [...(options.allowedHosts ?? SLACK_WEBHOOK_HOSTS), ...(options.extraAllowedHosts ?? [])];
  const checked = validateSlackWebhookUrl(options.webhookUrl, allowedHosts, { allowHttp: options.allowInsecureHttp === true });
  if (!checked.ok) {
    throw new ProviderError("slack", checked.message, { retryable: false, needsAttention: true, providerCode: checked.reason });
  }

  const webhookUrl = checked.url;
  const fetcher = options.fetcher ?? fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  return {
    provider: "slack",
    async send(alert) {
      const message = buildSlackMessage(alert);
      const response = await postJson("slack", "Slack", webhookUrl, JSON.stringify(message), { fetcher, timeoutMs });
      if (response.status >= 200 && response.status < 300 && response.body.trim() === "ok") return { provider: "slack" };
      throw slackErrorFromResponse(response);
    },
  };
}
