import { z } from "zod";
import { isRetryableStatus, parseRetryAfter, ProviderError } from "../http/errors";
import {
  exchange,
  formatMailbox,
  parseJsonBody,
  requireSetting,
  resolveConnection,
  validateOutgoingEmail,
  type MailConnectionOptions,
  type ProviderResponse,
} from "./headers";
import type { MailAdapter, OutgoingEmail, SendResult } from "./types";

/** Postmark's API host (postmarkapp.com/developer/api/overview); email is sent with `POST /email`. */
export const POSTMARK_API_URL = "https://api.postmarkapp.com";
const SEND_PATH = "/email";
const PROVIDER = "postmark";

/** Postmark's default stream for transactional mail. */
const DEFAULT_MESSAGE_STREAM = "outbound";

export type PostmarkLinkTracking = "None" | "HtmlAndText" | "HtmlOnly" | "TextOnly";

export interface PostmarkConfig extends MailConnectionOptions {
  provider: "postmark";
  /** The server's API token, sent as X-Postmark-Server-Token. */
  serverToken: string;
  /** Defaults to `outbound`. */
  messageStream?: string;
  /** Open tracking, off unless set, because it collects personal data that the firm would have to justify. */
  trackOpens?: boolean;
  /** Link rewriting for click tracking, `None` unless set, for the same reason. */
  trackLinks?: PostmarkLinkTracking;
}

const sendResponse = z.object({ MessageID: z.string().min(1) });

const errorResponse = z.object({
  ErrorCode: z.number(),
  Message: z.string().optional(),
});

/**
 * Postmark's API ErrorCodes (postmarkapp.com/developer/api/overview), described for error messages. Postmark's own
 * Message text is left out because it can name the recipient's address.
 */
const ERROR_CODE_DESCRIPTIONS: Record<number, string> = {
  10: "bad or missing server token",
  100: "maintenance",
  300: "invalid email request",
  400: "sender signature not found",
  401: "sender signature not confirmed",
  402: "invalid JSON",
  405: "not allowed to send",
  406: "inactive recipient",
  409: "JSON required",
  411: "forbidden attachment type",
  412: "account pending approval",
  413: "account may not send",
  429: "rate limit exceeded",
};

/** ErrorCodes that block every email until someone fixes the token, the sender signature or the account. */
const ACCOUNT_ERROR_CODES = new Set([10, 400, 401, 405, 412, 413]);

/** ErrorCodes for a condition that passes by itself. */
const TRANSIENT_ERROR_CODES = new Set([100, 429]);

/** Builds a Postmark adapter; checks the config once here, so a bad token or URL fails before any email. */
export function createPostmarkAdapter(config: PostmarkConfig, fetcher: typeof fetch = fetch): MailAdapter {
  const serverToken = requireSetting(PROVIDER, "serverToken", config.serverToken);
  const { baseUrl, timeoutMs } = resolveConnection(PROVIDER, config, POSTMARK_API_URL);
  const url = `${baseUrl}${SEND_PATH}`;

  return {
    provider: PROVIDER,

    async send(email: OutgoingEmail): Promise<SendResult> {
      validateOutgoingEmail(PROVIDER, email);

      const response = await exchange(
        PROVIDER,
        fetcher,
        url,
        {
          method: "POST",
          headers: {
            accept: "application/json",
            "content-type": "application/json",
            "x-postmark-server-token": serverToken,
          },
          body: JSON.stringify(buildPostmarkBody(email, config)),
        },
        timeoutMs,
      );

      if (response.status < 200 || response.status > 299) throw postmarkError(response);

      const body = parseJsonBody(response.body);
      // Postmark documents ErrorCode 0 on every 200; a non-zero one is treated as the failure it names.
      const outcome = errorResponse.safeParse(body);
      if (outcome.success && outcome.data.ErrorCode !== 0) throw postmarkError(response);

      const parsed = sendResponse.safeParse(body);
      // A 2xx means Postmark accepted the email, so an unreadable body must not lead to a retry and a second copy.
      return { provider: PROVIDER, providerMessageId: parsed.success ? parsed.data.MessageID : null };
    },
  };
}

/** Builds the JSON body of `POST /email`. */
export function buildPostmarkBody(email: OutgoingEmail, config: PostmarkConfig): Record<string, unknown> {
  const headers = [{ Name: "Message-ID", Value: email.messageId }];
  for (const [name, value] of Object.entries(email.headers ?? {})) headers.push({ Name: name, Value: value });

  return {
    From: formatMailbox(email.from),
    To: formatMailbox(email.to),
    ...(email.replyTo ? { ReplyTo: email.replyTo } : {}),
    Subject: email.subject,
    ...(email.text ? { TextBody: email.text } : {}),
    ...(email.html ? { HtmlBody: email.html } : {}),
    Headers: headers,
    Metadata: email.metadata,
    MessageStream: config.messageStream ?? DEFAULT_MESSAGE_STREAM,
    TrackOpens: config.trackOpens ?? false,
    TrackLinks: config.trackLinks ?? "None",
  };
}

/**
 * Maps a failed response to a ProviderError. Postmark returns 401 for a bad token and 422 with an ErrorCode for a
 * rejected email. The ErrorCode decides whether the account needs a person or the condition passes by itself.
 */
function postmarkError(response: ProviderResponse): ProviderError {
  const parsed = errorResponse.safeParse(parseJsonBody(response.body));
  const errorCode = parsed.success ? parsed.data.ErrorCode : undefined;
  const retryAfterSeconds = parseRetryAfter(response.headers.get("retry-after"));

  const needsAttention = response.status === 401 || response.status === 403 || (errorCode !== undefined && ACCOUNT_ERROR_CODES.has(errorCode));
  const retryable = !needsAttention && (isRetryableStatus(response.status) || (errorCode !== undefined && TRANSIENT_ERROR_CODES.has(errorCode)));

  const description = errorCode === undefined ? undefined : (ERROR_CODE_DESCRIPTIONS[errorCode] ?? "unlisted error code");
  const message = description
    ? `Postmark rejected the email with HTTP ${response.status}, ErrorCode ${errorCode} (${description})`
    : `Postmark request failed with HTTP ${response.status}`;

  return new ProviderError(PROVIDER, message, {
    retryable,
    needsAttention,
    status: response.status,
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    ...(errorCode !== undefined ? { providerCode: String(errorCode) } : {}),
  });
}
