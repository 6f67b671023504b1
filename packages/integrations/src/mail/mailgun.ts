import { z } from "zod";
import { isRetryableStatus, parseRetryAfter, ProviderError } from "../http/errors";
import {
  exchange,
  formatMailbox,
  InvalidEmailError,
  MailConfigError,
  parseJsonBody,
  requireSetting,
  resolveConnection,
  shortenProviderText,
  validateOutgoingEmail,
  type MailConnectionOptions,
  type ProviderResponse,
} from "./headers";
import type { MailAdapter, OutgoingEmail, SendResult } from "./types";

/** Mailgun's API hosts, US and EU; email is sent with `POST /v3/{domain}/messages`. */
export const MAILGUN_API_URL = "https://api.mailgun.net";
export const MAILGUN_EU_API_URL = "https://api.eu.mailgun.net";
const PROVIDER = "mailgun";

/** Mailgun's limit on all `o:`, `h:`, `v:` and `t:` parameters of one message together. */
const MAX_OPTION_BYTES = 16 * 1024;

// The sending domain becomes a path segment, so it must be a plain host name: no slash, dot segment or query.
const DOMAIN = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export interface MailgunConfig extends MailConnectionOptions {
  provider: "mailgun";
  /** A Mailgun API key (account or domain sending key), sent as the password of HTTP Basic user `api`. */
  apiKey: string;
  /** The sending domain registered in Mailgun, such as `mg.firm.example`. */
  domain: string;
  /** Chooses the default host; an explicit `baseUrl` wins over it. Defaults to `us`. */
  region?: "us" | "eu";
}

const sendResponse = z.object({ id: z.string().min(1) });
const errorResponse = z.object({ message: z.string() });

/** Builds a Mailgun adapter; checks the config once here, so a missing key or malformed domain fails before any email. */
export function createMailgunAdapter(config: MailgunConfig, fetcher: typeof fetch = fetch): MailAdapter {
  const apiKey = requireSetting(PROVIDER, "apiKey", config.apiKey);
  const domain = requireSetting(PROVIDER, "domain", config.domain);
  if (!DOMAIN.test(domain)) throw new MailConfigError(PROVIDER, `domain ${JSON.stringify(domain)} is not a host name`);

  const defaultBaseUrl = config.region === "eu" ? MAILGUN_EU_API_URL : MAILGUN_API_URL;
  const { baseUrl, timeoutMs } = resolveConnection(PROVIDER, config, defaultBaseUrl);
  const url = `${baseUrl}/v3/${domain}/messages`;
  const authorization = `Basic ${btoa(`api:${apiKey}`)}`;

  return {
    provider: PROVIDER,

    async send(email: OutgoingEmail): Promise<SendResult> {
      validateOutgoingEmail(PROVIDER, email);
      const fields = buildMailgunFields(email);
      validateOptionSize(fields);

      const form = new FormData();
      for (const [name, value] of fields) form.append(name, value);

      // fetch sets the multipart Content-Type with its boundary from the FormData body.
      const response = await exchange(PROVIDER, fetcher, url, { method: "POST", headers: { authorization }, body: form }, timeoutMs);

      if (response.status < 200 || response.status > 299) throw mailgunError(response);

      const parsed = sendResponse.safeParse(parseJsonBody(response.body));
      // A 2xx means Mailgun queued the email, so an unreadable body must not lead to a retry and a second copy.
      return { provider: PROVIDER, providerMessageId: parsed.success ? withoutAngleBrackets(parsed.data.id) : null };
    },
  };
}

/**
 * Builds the form fields of `POST /v3/{domain}/messages` in order. Extra headers go in as `h:<name>` and each
 * metadata entry as its own `v:<key>`, which Mailgun returns in events as `user-variables.<key>`.
 */
export function buildMailgunFields(email: OutgoingEmail): Array<[string, string]> {
  const fields: Array<[string, string]> = [
    ["from", formatMailbox(email.from)],
    ["to", formatMailbox(email.to)],
    ["subject", email.subject],
  ];
  if (email.text) fields.push(["text", email.text]);
  if (email.html) fields.push(["html", email.html]);

  if (email.replyTo) fields.push(["h:Reply-To", email.replyTo]);
  fields.push(["h:Message-Id", email.messageId]);
  for (const [name, value] of Object.entries(email.headers ?? {})) fields.push([`h:${name}`, value]);

  // NOTE: Mailgun parses a v: value that is valid JSON, so a value such as "42" may come back as a number.
  for (const [key, value] of Object.entries(email.metadata)) fields.push([`v:${key}`, value]);
  return fields;
}

/** Throws InvalidEmailError when the `o:`, `h:`, `v:` and `t:` fields together exceed Mailgun's 16 KB. */
function validateOptionSize(fields: Array<[string, string]>): void {
  const encoder = new TextEncoder();
  let bytes = 0;
  for (const [name, value] of fields) {
    if (/^[ohvt]:/.test(name)) bytes += encoder.encode(name).length + encoder.encode(value).length;
  }
  if (bytes > MAX_OPTION_BYTES) {
    throw new InvalidEmailError(PROVIDER, "headers", `and metadata take ${bytes} bytes, more than Mailgun's ${MAX_OPTION_BYTES}`);
  }
}

/** Mailgun returns its id as `<...@domain>`, but its events carry the same id without the angle brackets. */
function withoutAngleBrackets(id: string): string {
  return id.replace(/^<(.*)>$/, "$1");
}

/**
 * Maps a failed response to a ProviderError. Mailgun returns 401 with the plain text `Forbidden` for a bad key, 403
 * for a key without access and 404 when the domain is not in the account, and all three need a person. Other errors
 * are `{message}`, which becomes the provider code because Mailgun has no error codes.
 */
function mailgunError(response: ProviderResponse): ProviderError {
  const parsed = errorResponse.safeParse(parseJsonBody(response.body));
  const plainText = response.headers.get("content-type")?.startsWith("text/plain") ? response.body : "";
  const text = parsed.success ? parsed.data.message : plainText;
  const providerCode = text.trim() ? shortenProviderText(text) : undefined;

  const needsAttention = response.status === 401 || response.status === 403 || response.status === 404;
  const retryAfterSeconds = parseRetryAfter(response.headers.get("retry-after"));

  return new ProviderError(PROVIDER, `Mailgun rejected the email with HTTP ${response.status}`, {
    retryable: !needsAttention && isRetryableStatus(response.status),
    needsAttention,
    status: response.status,
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    ...(providerCode !== undefined ? { providerCode } : {}),
  });
}
