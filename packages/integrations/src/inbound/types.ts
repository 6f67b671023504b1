import { ProviderError } from "../http/errors";
import type { Mailbox } from "../mail/types";

/** Origin of an inbound email: a provider's webhook, or a Cloudflare Email Worker that parsed it with postal-mime. */
export type InboundSource = "postmark" | "sendgrid" | "mailgun" | "cloudflare";

/** An attachment as Plumbline records it: its description only, never its content. */
export interface AttachmentInfo {
  name: string;
  type: string;
  /** Size in bytes. When Postmark leaves out ContentLength, the size is computed from the base64 content. */
  size: number;
}

/**
 * The headers that mark an email as sent by software rather than typed by a person, as received. The values are
 * trimmed header values, or null when the header is absent.
 */
export interface AutoSubmittedSignals {
  /** RFC 3834 `Auto-Submitted`. Any value but `no` marks automatic mail. */
  autoSubmitted: string | null;
  /** Microsoft's `X-Auto-Response-Suppress`, which automated senders set to ask Exchange for no automatic replies. */
  autoResponseSuppress: string | null;
  /** `Precedence`: `bulk`, `junk`, `list` or `auto_reply`. */
  precedence: string | null;
  /** `X-Autoreply`, or else `X-Autorespond`, which many autoresponders set. */
  autoReply: string | null;
  /** True for an RFC 3464 delivery status notification: `multipart/report; report-type=delivery-status`, or a
   * `message/delivery-status` part among the attachments. */
  deliveryStatusReport: boolean;
}

/** One received email, in the same shape whichever way it arrived. */
export interface InboundMessage {
  source: InboundSource;
  /** The header From, or null when it is missing or contains no address. */
  from: Mailbox | null;
  to: Mailbox[];
  cc: Mailbox[];
  /**
   * The SMTP envelope recipients (RCPT TO) when the provider reports them, such as SendGrid's `envelope` field. They
   * include Bcc and mailing-list deliveries that To and Cc leave out. Empty when the provider sends none.
   */
  envelopeTo: string[];
  subject: string;
  /** The sender's RFC 5322 Message-ID with angle brackets, or null when absent or not of the form `<id@domain>`. */
  messageId: string | null;
  inReplyTo: string | null;
  /** Message-IDs from References, oldest first, without values that are not `<id@domain>`. */
  references: string[];
  /** The sender's Date header, or null when missing or unreadable. */
  date: Date | null;
  text: string;
  html: string;
  /** Every header, names in lower case, values in the order received. */
  headers: Record<string, string[]>;
  attachments: AttachmentInfo[];
  autoSubmitted: AutoSubmittedSignals;
  /** Notes on input the normaliser could not read faithfully, such as a field in an unknown charset. */
  warnings: string[];
}

/**
 * An inbound webhook body that cannot be read: not multipart, no boundary, or SendGrid's raw mode where this parser
 * expects parsed fields. Never retryable, because the same body fails the same way.
 */
export class InvalidInboundError extends ProviderError {
  override name = "InvalidInboundError";

  constructor(source: InboundSource, problem: string, cause?: unknown) {
    super(source, `invalid ${source} inbound email: ${problem}`, { retryable: false, providerCode: "invalid_inbound", cause });
  }
}
