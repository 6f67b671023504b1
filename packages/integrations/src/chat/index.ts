import { createSlackAdapter } from "./slack";
import { createTeamsAdapter } from "./teams";
import type { ChatAdapter } from "./types";

export * from "./slack";
export * from "./teams";
export type { WebhookUrlCheck, WebhookUrlProblem } from "./text";

interface WebhookSettings {
  webhookUrl: string;
  /** Time to wait for the webhook's response, in milliseconds, or 10,000 when absent. */
  timeoutMs?: number;
  /** Hosts to accept in place of the provider's own, for tests. Entries starting with a dot match subdomains. */
  allowedHosts?: readonly string[];
  /** Hosts accepted in addition to `allowedHosts` or the provider's own, such as a government-cloud host. */
  extraAllowedHosts?: readonly string[];
  /** Permission to use an http:// webhook URL, which only a local fake needs. */
  allowInsecureHttp?: boolean;
}

export type ChatConfig = ({ provider: "slack" } & WebhookSettings) | ({ provider: "teams" } & WebhookSettings);

/**
 * Creates the adapter for a firm's chat tool. Throws a ProviderError with `needsAttention` when the webhook URL is
 * unusable, so the caller can flag the integration instead of retrying.
 */
export function createChatAdapter(config: ChatConfig, fetcher?: typeof fetch): ChatAdapter {
  switch (config.provider) {
    case "slack":
      return createSlackAdapter({ ...config, fetcher });
    case "teams":
      return createTeamsAdapter({ ...config, fetcher });
    default: {
      const unknown: never = config;
      throw new Error(`Unknown chat provider in ${JSON.stringify(unknown)}.`);
    }
  }
}
