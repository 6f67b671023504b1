/** Product names of the services the API reports as `provider` on integrations, messages and timeline entries. */
const PROVIDER_NAMES: Readonly<Record<string, string>> = {
  postmark: "Postmark",
  resend: "Resend",
  sendgrid: "SendGrid",
  mailgun: "Mailgun",
  slack: "Slack",
  teams: "Microsoft Teams",
  calcom: "Cal.com",
  calendly: "Calendly",
  plumbline: "Plumbline",
};

/**
 * Returns a provider's name for people, such as "Postmark", or the key itself for a provider not listed. `local` is
 * the API's local outbox, which records a message when the firm has no integration for its channel (`email` or `chat`).
 */
export function providerName(provider: string, channel?: string | null): string {
  if (provider === "local") {
    if (channel === "email") return "the local outbox (no mail provider set up)";
    if (channel === "chat") return "the local outbox (no chat integration set up)";
    return "the local outbox";
  }
  return PROVIDER_NAMES[provider] ?? provider;
}
