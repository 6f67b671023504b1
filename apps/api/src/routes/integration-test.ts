import { findFirm, type Integration } from "@plumbline/db";
import { escapeHtml } from "@plumbline/core";
import { createChatAdapter, createMailAdapter, ProviderError } from "@plumbline/integrations";
import type { Services } from "../context";
import { ApiError } from "../errors";
import { integrationConfig } from "../follow-up/integration-config";
import { decryptSecret } from "../lib/crypto";
import { maskEmail } from "../logger";

/**
 * Sends a test message through one integration now, outside the outbox: an email to `to` for mail, a card for
 * Slack or Teams. Throws 502 `integration_test_failed` with the provider's reason when the provider refuses it.
 */
export async function sendIntegrationTest(
  services: Services,
  firmId: string,
  integration: Integration,
  options: { to: string | undefined; testPageUrl: string },
): Promise<void> {
  const { env, db, logger } = services;
  if (integration.kind !== "mail" && integration.kind !== "chat") {
    throw new ApiError("validation_failed", `A ${integration.kind} integration receives from its provider, so there is nothing to send a test through.`);
  }
  if (integration.kind === "mail" && !options.to) {
    throw new ApiError("validation_failed", "Send `to`, the address that should receive the test email.", { field: "to" });
  }

  const firm = (await findFirm(db, firmId))!;
  const secret = await decryptSecret(env.ENCRYPTION_KEY, integration.secretEncrypted);
  try {
    if (integration.kind === "mail") {
      const id = crypto.randomUUID();
      await createMailAdapter(integrationConfig.mail(env, integration, secret)).send({
        from: { email: firm.senderEmail ?? `no-reply@${env.MESSAGE_ID_DOMAIN}`, name: firm.senderName ?? firm.name },
        to: { email: options.to! },
        subject: `Test email from Plumbline for ${firm.name}`,
        text: `This is a test email sent through ${integration.name} (${integration.provider}). If you can read it, emails to prospects can go out.`,
        html: `<p>This is a test email sent through ${escapeHtml(integration.name)} (${escapeHtml(integration.provider)}). If you can read it, emails to prospects can go out.</p>`,
        messageId: `<test-${id}@${env.MESSAGE_ID_DOMAIN}>`,
        idempotencyKey: `test-${id}`,
        metadata: { firmId, integrationTest: "true" },
      });
    } else {
      await createChatAdapter(integrationConfig.chat(env, integration, secret)).send({
        kind: "enquiry",
        title: "Test alert from Plumbline",
        fields: [
          { label: "Firm", value: firm.name },
          { label: "Integration", value: integration.name },
        ],
        message: "If you can read this, new enquiries will be posted to this channel.",
        link: { url: options.testPageUrl, label: "Open Plumbline" },
      });
    }
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    logger.warn("integration.test_failed", { integrationId: integration.id, provider: integration.provider, to: maskEmail(options.to) });
    throw new ApiError("integration_test_failed", `${integration.provider} did not accept the test: ${error.message}`, { cause: error });
  }
  logger.info("integration.test_sent", { integrationId: integration.id, provider: integration.provider, to: maskEmail(options.to) });
}
