import { MailConfigError } from "./headers";
import { createMailgunAdapter, type MailgunConfig } from "./mailgun";
import { createPostmarkAdapter, type PostmarkConfig } from "./postmark";
import { createResendAdapter, type ResendConfig } from "./resend";
import { createSendGridAdapter, type SendGridConfig } from "./sendgrid";
import type { MailAdapter } from "./types";

export { DEFAULT_TIMEOUT_MS, formatDisplayName, formatMailbox, InvalidEmailError, MailConfigError, validateOutgoingEmail } from "./headers";
export type { MailConnectionOptions } from "./headers";
export { MAILGUN_API_URL, MAILGUN_EU_API_URL, type MailgunConfig } from "./mailgun";
export { POSTMARK_API_URL, type PostmarkConfig, type PostmarkLinkTracking } from "./postmark";
export { RESEND_API_URL, type ResendConfig } from "./resend";
export { SENDGRID_API_URL, SENDGRID_EU_API_URL, type SendGridConfig } from "./sendgrid";

/** One firm's mail provider and its credentials, discriminated by `provider`. */
export type MailProviderConfig = PostmarkConfig | ResendConfig | SendGridConfig | MailgunConfig;

/**
 * Builds the adapter for a provider config. The config is checked here, once: a missing credential, a malformed
 * domain or a base URL that is not https throws MailConfigError (needsAttention) before any email is attempted.
 * `fetcher` replaces the global fetch, for tests.
 */
export function createMailAdapter(config: MailProviderConfig, fetcher: typeof fetch = fetch): MailAdapter {
  switch (config.provider) {
    case "postmark":
      return createPostmarkAdapter(config, fetcher);
    case "resend":
      return createResendAdapter(config, fetcher);
    case "sendgrid":
      return createSendGridAdapter(config, fetcher);
    case "mailgun":
      return createMailgunAdapter(config, fetcher);
    default:
      return assertNever(config);
  }
}

// Configs come from stored settings, so an unknown provider can reach here at run time despite the types.
function assertNever(config: never): never {
  const provider = (config as { provider?: unknown }).provider;
  throw new MailConfigError(String(provider), `unknown mail provider ${JSON.stringify(provider)}`);
}
