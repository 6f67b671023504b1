import { createSlackAdapter } from "./slack";
import { createTeamsAdapter } from "./teams";
import type { WebhookAdapterOptions } from "./text";
import type { ChatAdapter } from "./types";

export * from "./slack";
export * from "./teams";
export type { WebhookAdapterOptions, WebhookUrlCheck, WebhookUrlProblem } from "./text";

type WebhookSettings = Omit<WebhookAdapterOptions, "fetcher">;

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
