import type { Integration, OutboundMessage } from "@plumbline/db";
import { createMailAdapter, type OutgoingEmail } from "@plumbline/integrations";
import { decryptSecret } from "../lib/crypto";
import type { DeliveryContext } from "./deliver";
import { integrationConfig } from "./integration-config";
import { resultFromError, type DeliveryResult } from "./outcome";

/**
 * Sends an email through the firm's mail integration. Without one, outside production the email goes to the
 * local outbox (stored on the message, shown at /dev/outbox); in production it is skipped, saying why.
 */
export async function sendEmail(
  context: DeliveryContext,
  row: OutboundMessage,
  integration: Integration | null,
  email: OutgoingEmail,
): Promise<DeliveryResult> {
  const rendered = { subject: email.subject, to: email.to.email, from: email.from.email, replyTo: email.replyTo ?? null, text: email.text, html: email.html };

  if (!integration) {
    if (context.env.APP_ENV === "production") return { kind: "skipped", reason: "no mail provider configured" };
    return { kind: "sent", provider: "local", providerMessageId: null, messageIdHeader: email.messageId, data: { rendered } };
  }
  if (integration.status === "needs_attention") {
    return { kind: "failed", reason: `mail integration needs attention: ${integration.statusReason ?? "reconnect it"}` };
  }

  try {
    const secret = await decryptSecret(context.env.ENCRYPTION_KEY, integration.secretEncrypted);
    const adapter = createMailAdapter(integrationConfig.mail(context.env, integration, secret));
    const sent = await adapter.send(email);
    return {
      kind: "sent",
      provider: sent.provider,
      providerMessageId: sent.providerMessageId,
      messageIdHeader: email.messageId,
      data: { rendered: { subject: rendered.subject, to: rendered.to, replyTo: rendered.replyTo } },
    };
  } catch (error) {
    return resultFromError(error, context.attempt, integration.id);
  }
}
