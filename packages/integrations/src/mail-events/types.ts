import { ProviderError } from "../http/errors";

/** The mail providers whose delivery events Plumbline reads. */
export type MailEventProvider = "postmark" | "resend" | "sendgrid" | "mailgun";

/**
 * What happened to one outbound message, in Plumbline's words. `deferred` means the provider is still retrying.
 * `bounced_soft` means it gave up for a reason that may pass, such as a full mailbox. `other` covers events that
 * carry no delivery outcome, such as SendGrid's `processed`.
 */
export type MailEventKind =
  | "delivered"
  | "bounced_hard"
  | "bounced_soft"
  | "deferred"
  | "complained"
  | "opened"
  | "clicked"
  | "unsubscribed"
  | "other";

/** One delivery event from any provider, normalised. */
export interface MailEvent {
  provider: MailEventProvider;
  /** The provider's id for this event, the key for dropping duplicates: providers retry and repeat deliveries. */
  eventId: string;
  /** The provider's id for the message, as the send call returned it; null when the event carries none. */
  providerMessageId: string | null;
  kind: MailEventKind;
  /** The provider's own event name, such as `Bounce/HardBounce`, `email.bounced` or `failed/permanent`. */
  providerEvent: string;
  recipient: string | null;
  /** The provider's time of the event, not the time the webhook arrived. */
  occurredAt: Date;
  /** The bounce reason or SMTP response, when the provider gives one. */
  detail: string | null;
  /** The metadata Plumbline attached when sending (tenant, outbound message id), as the provider echoes it back. */
  metadata: Record<string, string>;
  /** The provider's event object as received, for storage and later debugging. */
  raw: unknown;
}

/**
 * A delivery event whose shape cannot be read: a missing message id or timestamp, or a body that is not the
 * expected JSON. Never retryable, because the same body fails the same way.
 */
export class InvalidMailEventError extends ProviderError {
  override name = "InvalidMailEventError";

  constructor(provider: MailEventProvider, problem: string, cause?: unknown) {
    super(provider, `invalid ${provider} event: ${problem}`, { retryable: false, providerCode: "invalid_event", cause });
  }
}

/** Reason a webhook's signature or shared secret was rejected. Every reason maps to HTTP 401. */
export type SignatureFailure = "missing" | "malformed" | "mismatch" | "stale";

export type SignatureCheck = { ok: true } | { ok: false; reason: SignatureFailure };
