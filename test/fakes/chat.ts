import type { ServerResponse } from "node:http";
import { sendJson, sendText, type Fake, type RecordedRequest } from "./http";

/**
 * Slack incoming webhooks under `/slack/services/...` and Teams Workflows webhooks under `/teams/workflows/...`.
 * The last path segment chooses the response, the way a provider's test hook would: `ok`, `channel_not_found`,
 * `channel_is_archived`, `no_service`, `no_team`, `team_disabled`, `invalid_token`, `action_prohibited`,
 * `unauthorized`, `invalid_payload`, `too_large`, `limited` (429 with `Retry-After: 3`), `down` (500
 * `rollup_error`) and `hang` (no response). Any other segment gets the success response, because real webhook
 * URLs end in a secret.
 *
 * Before that, each fake checks the body as its provider does. Slack rejects with `invalid_payload` a body without
 * `text` or `blocks`, with more than 50 blocks, or with a section text over 3,000 characters or a field over 2,000.
 * Teams rejects a body over 28,000 bytes with 413 and an envelope that is not one Adaptive Card message with 400.
 */

interface Failure {
  status: number;
  code: string;
  headers?: Record<string, string>;
}

// Slack documents the status that comes with invalid_payload, action_prohibited, channel_not_found,
// channel_is_archived and rollup_error. The statuses given for the other Slack codes are assumed. Teams has no
// such codes, so its fake responds with the status and the code inside an Azure-style error body.
const FAILURES: Record<string, Failure> = {
  invalid_payload: { status: 400, code: "invalid_payload" },
  action_prohibited: { status: 403, code: "action_prohibited" },
  channel_not_found: { status: 404, code: "channel_not_found" },
  channel_is_archived: { status: 410, code: "channel_is_archived" },
  down: { status: 500, code: "rollup_error" },
  no_service: { status: 404, code: "no_service" },
  no_team: { status: 404, code: "no_team" },
  team_disabled: { status: 403, code: "team_disabled" },
  invalid_token: { status: 403, code: "invalid_token" },
  unauthorized: { status: 401, code: "unauthorized" },
  too_large: { status: 413, code: "request_entity_too_large" },
  limited: { status: 429, code: "rate_limited", headers: { "retry-after": "3" } },
};

const SLACK_SECTION_TEXT_MAX = 3000;
const SLACK_FIELD_TEXT_MAX = 2000;
const SLACK_MAX_FIELDS = 10;
const SLACK_MAX_BLOCKS = 50;
const TEAMS_MAX_BYTES = 28_000;

function lastSegment(request: RecordedRequest): string {
  const path = new URL(request.path, "http://fake.invalid").pathname;
  return path.split("/").filter(Boolean).pop() ?? "";
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Returns the text of a text object if it is one with a non-empty text, otherwise undefined. */
function textOf(value: unknown): string | undefined {
  if (!isRecord(value) || typeof value.text !== "string" || value.text.length === 0) return undefined;
  return value.text;
}

function isValidSection(block: Record<string, unknown>): boolean {
  if (block.text === undefined && block.fields === undefined) return false;
  if (block.text !== undefined) {
    const text = textOf(block.text);
    if (text === undefined || text.length > SLACK_SECTION_TEXT_MAX) return false;
  }
  if (block.fields !== undefined) {
    if (!Array.isArray(block.fields) || block.fields.length === 0 || block.fields.length > SLACK_MAX_FIELDS) return false;
    for (const field of block.fields) {
      const text = textOf(field);
      if (text === undefined || text.length > SLACK_FIELD_TEXT_MAX) return false;
    }
  }
  return true;
}

function isValidSlackMessage(request: RecordedRequest): boolean {
  if (!(request.headers["content-type"] ?? "").toLowerCase().startsWith("application/json")) return false;

  const message = parseJson(request.body);
  if (!isRecord(message)) return false;

  const hasText = typeof message.text === "string" && message.text.length > 0;
  if (!hasText && message.blocks === undefined) return false;
  if (message.blocks === undefined) return true;

  if (!Array.isArray(message.blocks) || message.blocks.length > SLACK_MAX_BLOCKS) return false;
  return message.blocks.every((block) => isRecord(block) && (block.type !== "section" || isValidSection(block)));
}

function isAdaptiveCardMessage(body: string): boolean {
  const message = parseJson(body);
  if (!isRecord(message) || message.type !== "message") return false;
  if (!Array.isArray(message.attachments) || message.attachments.length === 0) return false;

  return message.attachments.every(
    (attachment) =>
      isRecord(attachment) &&
      attachment.contentType === "application/vnd.microsoft.card.adaptive" &&
      isRecord(attachment.content) &&
      attachment.content.type === "AdaptiveCard",
  );
}

function sendTeamsError(response: ServerResponse, failure: Failure) {
  sendJson(response, failure.status, { error: { code: failure.code, message: `Fake Teams workflow failed with ${failure.code}.` } }, failure.headers);
}

export const slackFake: Fake = {
  name: "slack",
  matches: (method, path) => method === "POST" && path.startsWith("/slack/services/"),
  handle(request, response) {
    const behaviour = lastSegment(request);
    if (behaviour === "hang") return; // Left open: the caller's timeout must end the wait.
    if (!isValidSlackMessage(request)) return sendText(response, 400, "invalid_payload");

    const failure = FAILURES[behaviour];
    if (failure) return sendText(response, failure.status, failure.code, failure.headers);
    return sendText(response, 200, "ok");
  },
};

export const teamsFake: Fake = {
  name: "teams",
  matches: (method, path) => method === "POST" && path.startsWith("/teams/workflows/"),
  handle(request, response) {
    const behaviour = lastSegment(request);
    if (behaviour === "hang") return; // Left open: the caller's timeout must end the wait.
    if (Buffer.byteLength(request.body, "utf8") > TEAMS_MAX_BYTES) {
      return sendTeamsError(response, { status: 413, code: "request_entity_too_large" });
    }
    if (!isAdaptiveCardMessage(request.body)) return sendTeamsError(response, { status: 400, code: "InvalidRequestContent" });

    const failure = FAILURES[behaviour];
    if (failure) return sendTeamsError(response, failure);
    response.writeHead(202);
    response.end();
  },
};

export const chatFakes: Fake[] = [slackFake, teamsFake];
