import { z } from "zod";
import { isRetryableStatus, parseRetryAfter, ProviderError } from "../http/errors";
import {
  exchange,
  InvalidEmailError,
  parseJsonBody,
  requireSetting,
  resolveConnection,
  shortenProviderText,
  validateOutgoingEmail,
  type MailConnectionOptions,
  type ProviderResponse,
} from "./headers";
import type { Mailbox, MailAdapter, OutgoingEmail, SendResult } from "./types";

/** SendGrid's v3 API hosts, global and EU; email is sent with `POST /v3/mail/send`. */
export const SENDGRID_API_URL = "https://api.sendgrid.com";
export const SENDGRID_EU_API_URL = "https://api.eu.sendgrid.com";
const SEND_PATH = "/v3/mail/send";
const PROVIDER = "sendgrid";

export interface SendGridConfig extends MailConnectionOptions {
  provider: "sendgrid";
  /** An API key with Mail Send access, `SG....`. */
  apiKey: string;
  /** Chooses the default host; an explicit `baseUrl` wins over it. Defaults to `global`. */
  region?: "global" | "eu";
}

/** Headers SendGrid will not take in `headers`, compared in lower case. */
const RESERVED_HEADERS = new Set([
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

// RFC 5322 specials plus the period: SendGrid writes personalization names into the To header unquoted, so a name
// with any of these must arrive already quoted or the header splits into a wrong address.
const NEEDS_QUOTING = /[()<>[\]:;@\\,."]/;

const errorResponse = z.object({
  errors: z.array(z.object({ message: z.string().nullish(), field: z.string().nullish() })).min(1),
});

/** Builds a SendGrid adapter; checks the config once here, so a missing key or bad URL fails before any email. */
export function createSendGridAdapter(config: SendGridConfig, fetcher: typeof fetch = fetch): MailAdapter {
  const apiKey = requireSetting(PROVIDER, "apiKey", config.apiKey);
  const defaultBaseUrl = config.region === "eu" ? SENDGRID_EU_API_URL : SENDGRID_API_URL;
  const { baseUrl, timeoutMs } = resolveConnection(PROVIDER, config, defaultBaseUrl);
  const url = `${baseUrl}${SEND_PATH}`;

  return {
    provider: PROVIDER,

    async send(email: OutgoingEmail): Promise<SendResult> {
      validateOutgoingEmail(PROVIDER, email);
      for (const name of Object.keys(email.headers ?? {})) {
        if (RESERVED_HEADERS.has(name.toLowerCase())) throw new InvalidEmailError(PROVIDER, `headers.${name}`, "is a header SendGrid reserves");
      }

      const response = await exchange(
        PROVIDER,
        fetcher,
        url,
        {
          method: "POST",
          headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
          body: JSON.stringify(buildSendGridBody(email)),
        },
        timeoutMs,
      );

      if (response.status < 200 || response.status > 299) throw sendGridError(response);

      // SendGrid returns 202 with an empty body, so the id that its events refer to (as the start of sg_message_id)
      // is only in the X-Message-Id header.
      return { provider: PROVIDER, providerMessageId: response.headers.get("x-message-id") || null };
    },
  };
}

/** Builds the JSON body of `POST /v3/mail/send`; metadata goes in `custom_args`, which SendGrid returns on events. */
export function buildSendGridBody(email: OutgoingEmail): Record<string, unknown> {
  const personalization = {
    to: [recipient(email.to)],
    ...(Object.keys(email.metadata).length > 0 ? { custom_args: email.metadata } : {}),
  };

  // SendGrid rejects a request whose text/html part comes before text/plain, and content values must be non-empty.
  const content = [
    ...(email.text ? [{ type: "text/plain", value: email.text }] : []),
    ...(email.html ? [{ type: "text/html", value: email.html }] : []),
  ];

  // NOTE: SendGrid accepts Message-ID here (it is not reserved), but whether it keeps it on the delivered email is
  // unconfirmed; callers keep X-Message-Id as well.
  return {
    personalizations: [personalization],
    from: { email: email.from.email, ...(email.from.name?.trim() ? { name: email.from.name.trim() } : {}) },
    ...(email.replyTo ? { reply_to: { email: email.replyTo } } : {}),
    subject: email.subject,
    content,
    headers: { "Message-ID": email.messageId, ...email.headers },
  };
}

/**
 * Builds a personalization recipient. SendGrid takes the name as plain UTF-8 and encodes it itself, so it gets no
 * encoded-words. A name with specials is sent as an RFC 5322 quoted-string, which SendGrid support has advised
 * users of its client libraries to do for this field.
 */
function recipient(mailbox: Mailbox): { email: string; name?: string } {
  const name = mailbox.name?.trim();
  if (!name) return { email: mailbox.email };
  if (!NEEDS_QUOTING.test(name)) return { email: mailbox.email, name };
  return { email: mailbox.email, name: `"${name.replace(/["\\]/g, "\\$&")}"` };
}

/**
 * Maps a failed response to a ProviderError. 401 (bad key) and 403 (key without Mail Send access, or a sender
 * identity that is not verified) need a person. The error body is `{errors: [{message, field, help}]}`, and the
 * first message becomes the provider code because SendGrid has no error codes.
 */
function sendGridError(response: ProviderResponse): ProviderError {
  const parsed = errorResponse.safeParse(parseJsonBody(response.body));
  const first = parsed.success ? parsed.data.errors[0] : undefined;
  const providerCode = first?.message ? shortenProviderText(first.message) : undefined;

  const needsAttention = response.status === 401 || response.status === 403;
  const retryAfterSeconds = parseRetryAfter(response.headers.get("retry-after"));

  return new ProviderError(PROVIDER, `SendGrid rejected the email with HTTP ${response.status}${first?.field ? ` (field ${first.field})` : ""}`, {
    retryable: !needsAttention && isRetryableStatus(response.status),
    needsAttention,
    status: response.status,
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    ...(providerCode !== undefined ? { providerCode } : {}),
  });
}
