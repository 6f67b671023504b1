/** An address with an optional display name. */
export interface Mailbox {
  email: string;
  name?: string;
}

/** One email as Plumbline asks a provider to send it. */
export interface OutgoingEmail {
  from: Mailbox;
  to: Mailbox;
  /** The per-opportunity capture address, so replies come back to Plumbline. */
  replyTo?: string;
  subject: string;
  text: string;
  html: string;
  /** Our own RFC 5322 Message-ID, with angle brackets: `<uuid@mail.plumbline.example>`. */
  messageId: string;
  /** Extra headers such as In-Reply-To. Values must not contain CR or LF. */
  headers?: Record<string, string>;
  /** Stable per outbound message, for providers that deduplicate retries (Resend's Idempotency-Key). */
  idempotencyKey: string;
  /** Sent back by providers on delivery events (Postmark Metadata, SendGrid custom_args, Mailgun v: variables). */
  metadata: Record<string, string>;
}

export interface SendResult {
  provider: string;
  /** The provider's id for the message, which its events refer to; null when it returns none. */
  providerMessageId: string | null;
}

/** A provider that sends email. Throws ProviderError on failure. */
export interface MailAdapter {
  readonly provider: string;
  send(email: OutgoingEmail): Promise<SendResult>;
}
