import type { Integration } from "@plumbline/db";
import type { ChatConfig, MailProviderConfig } from "@plumbline/integrations";
import type { AppEnv } from "../env";

/**
 * Reads PROVIDER_BASE_URLS, a JSON object from provider name to API origin (`{"postmark": "http://127.0.0.1:9000/postmark"}`),
 * so tests and local runs can point adapters at fakes. Unset in production, where the providers' own hosts apply.
 */
function baseUrlFor(env: AppEnv, provider: string): string | undefined {
  if (!env.PROVIDER_BASE_URLS) return undefined;
  const parsed = JSON.parse(env.PROVIDER_BASE_URLS) as Record<string, string>;
  return parsed[provider];
}

/** Extra chat webhook hosts beyond the providers' own, from CHAT_EXTRA_HOSTS (comma-separated). */
function extraChatHosts(env: AppEnv): string[] {
  return (env.CHAT_EXTRA_HOSTS ?? "")
    .split(",")
    .map((host) => host.trim())
    .filter(Boolean);
}

/** Builds adapter configuration from a stored integration and its decrypted secret. */
export const integrationConfig = {
  mail(env: AppEnv, integration: Pick<Integration, "provider" | "settings">, secret: string): MailProviderConfig {
    const baseUrl = baseUrlFor(env, integration.provider);
    const connection = baseUrl ? { baseUrl } : {};
    const settings = integration.settings;
    switch (integration.provider) {
      case "postmark":
        return { provider: "postmark", serverToken: secret, ...(settings.messageStream ? { messageStream: settings.messageStream } : {}), ...connection };
      case "resend":
        return { provider: "resend", apiKey: secret, ...connection };
      case "sendgrid":
        return { provider: "sendgrid", apiKey: secret, region: settings.region === "eu" ? "eu" : "global", ...connection };
      case "mailgun":
        return { provider: "mailgun", apiKey: secret, domain: settings.domain ?? "", region: settings.region === "eu" ? "eu" : "us", ...connection };
      default:
        throw new Error(`Unknown mail provider ${integration.provider}`);
    }
  },

  chat(env: AppEnv, integration: Integration, secret: string): ChatConfig {
    // Plain http is only for local fakes, so production rejects it whatever the host list allows.
    const options = { webhookUrl: secret, extraAllowedHosts: extraChatHosts(env), allowInsecureHttp: env.APP_ENV !== "production" };
    switch (integration.provider) {
      case "slack":
        return { provider: "slack", ...options };
      case "teams":
        return { provider: "teams", ...options };
      default:
        throw new Error(`Unknown chat provider ${integration.provider}`);
    }
  },
};
