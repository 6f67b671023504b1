import { z } from "zod";
import { isRetryableStatus, parseRetryAfter, ProviderError } from "../http/errors";
import {
  exchange,
  formatMailbox,
  InvalidEmailError,
  parseJsonBody,
  requireSetting,
  resolveConnection,
  validateHeaderValue,
  validateOutgoingEmail,
  type MailConnectionOptions,
  type ProviderResponse,
} from "./headers";
import type { MailAdapter, OutgoingEmail, SendResult } from "./types";

/** Resend's API host; email is sent with `POST /emails`. */
export const RESEND_API_URL = "https://api.resend.com";
const SEND_PATH = "/emails";
const PROVIDER = "resend";

/** Resend accepts an Idempotency-Key of 1 to 256 characters and keeps it for 24 hours. */
const MAX_IDEMPOTENCY_KEY_LENGTH = 256;

export interface ResendConfig extends MailConnectionOptions {
  provider: "resend";
  /** An API key with sending access, `re_...`. */
  apiKey: string;
}

const sendResponse = z.object({ id: z.string().min(1) });

const errorResponse = z.object({
  name: z.string(),
  statusCode: z.number().optional(),
});

/** Error names for a key that is missing, revoked or lacks sending access: every email fails until it is replaced. */
const KEY_ERROR_NAMES = new Set(["missing_api_key", "invalid_api_key", "restricted_api_key"]);

/** Builds a Resend adapter; checks the config once here, so a missing key or bad URL fails before any email. */
export function createResendAdapter(config: ResendConfig, fetcher: typeof fetch = fetch): MailAdapter {
  const apiKey = requireSetting(PROVIDER, "apiKey", config.apiKey);
  const { baseUrl, timeoutMs } = resolveConnection(PROVIDER, config, RESEND_API_URL);
  const url = `${baseUrl}${SEND_PATH}`;

  return {
    provider: PROVIDER,

    async send(email: OutgoingEmail): Promise<SendResult> {
      validateOutgoingEmail(PROVIDER, email);
      validateIdempotencyKey(email.idempotencyKey);

      const response = await exchange(
        PROVIDER,
        fetcher,
        url,
        {
          method: "POST",
          headers: {
            authorization: `Bearer ${apiKey}`,
            "content-type": "application/json",
            // A retry with the same key within 24 hours returns the first send's response instead of sending a second email.
            "idempotency-key": email.idempotencyKey,
          },
          body: JSON.stringify(buildResendBody(email)),
        },
        timeoutMs,
      );

      if (response.status < 200 || response.status > 299) throw resendError(response);

      const parsed = sendResponse.safeParse(parseJsonBody(response.body));
      // A 2xx means Resend accepted the email, so an unreadable body must not lead to a retry and a second copy.
      return { provider: PROVIDER, providerMessageId: parsed.success ? parsed.data.id : null };
    },
  };
}

/** Builds the JSON body of `POST /emails`; metadata goes in `tags`, which Resend returns on every event. */
export function buildResendBody(email: OutgoingEmail): Record<string, unknown> {
  const tags = Object.entries(email.metadata)
    .map(([name, value]) => ({ name: toTagText(name), value: toTagText(value) }))
    .filter((tag) => tag.name !== "" && tag.value !== "");

  return {
    from: formatMailbox(email.from),
    to: [formatMailbox(email.to)],
    ...(email.replyTo ? { reply_to: email.replyTo } : {}),
    subject: email.subject,
    ...(email.text ? { text: email.text } : {}),
    ...(email.html ? { html: email.html } : {}),
    headers: { "Message-ID": email.messageId, ...email.headers },
    ...(tags.length > 0 ? { tags } : {}),
  };
}

/** Replaces every character Resend does not allow in a tag name or value (ASCII letters, digits, _ and -) with `_`. */
export function toTagText(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, "_");
}

function validateIdempotencyKey(key: string): void {
  validateHeaderValue(PROVIDER, "idempotencyKey", key);
  if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw new InvalidEmailError(PROVIDER, "idempotencyKey", `must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters, got ${key.length}`);
  }
}

/**
 * Maps a failed response to a ProviderError. Resend's error body is `{statusCode, name, message}`, and its `name`
 * becomes the provider code. 401 and 403 (a bad key or an unverified sending domain) need a person. 409
 * `concurrent_idempotent_requests` means the first attempt is still running, so a later retry gets its response.
 */
function resendError(response: ProviderResponse): ProviderError {
  const parsed = errorResponse.safeParse(parseJsonBody(response.body));
  const name = parsed.success ? parsed.data.name : undefined;

  const needsAttention = response.status === 401 || response.status === 403 || (name !== undefined && KEY_ERROR_NAMES.has(name));
  const retryable = !needsAttention && (isRetryableStatus(response.status) || name === "concurrent_idempotent_requests");

  return new ProviderError(PROVIDER, `Resend rejected the email with HTTP ${response.status}${name ? ` (${name})` : ""}`, {
    retryable,
    needsAttention,
    status: response.status,
    ...optionalRetryAfter(response),
    ...(name !== undefined ? { providerCode: name } : {}),
  });
}

/**
 * Reads how long to wait: `retry-after`, else on a 429 `ratelimit-reset`, which Resend sends in its responses as the
 * seconds until its rate window resets (resend.com/changelog/api-rate-limit).
 */
function optionalRetryAfter(response: ProviderResponse): { retryAfterSeconds?: number } {
  const retryAfterSeconds = parseRetryAfter(response.headers.get("retry-after"));
  if (retryAfterSeconds !== undefined) return { retryAfterSeconds };
  if (response.status !== 429) return {};

  const reset = response.headers.get("ratelimit-reset")?.trim();
  if (reset && /^\d+$/.test(reset)) return { retryAfterSeconds: Number(reset) };
  return {};
}
