import { newId } from "@plumbline/core";
import { insertPlatformEmail, type Database } from "@plumbline/db";
import { createMailAdapter } from "@plumbline/integrations";
import type { AppEnv } from "../env";
import { integrationConfig } from "../follow-up/integration-config";
import { maskEmail, type Logger } from "../logger";

/** An email Plumbline sends for itself, such as a sign-in link. */
export interface PlatformEmailContent {
  kind: "sign_in_link" | "invitation";
  to: { email: string; name?: string };
  subject: string;
  text: string;
  html: string;
}

/**
 * Sends one of Plumbline's own emails through the platform provider (PLATFORM_MAIL_*), and records the attempt.
 * Without a provider, outside production the email is kept for the local outbox at /dev/outbox; in production it
 * is recorded as skipped. It is sent at once rather than through the queue, because the queue would need the
 * one-time link stored until delivery. The body is never logged, since it contains that link.
 */
export async function sendPlatformEmail(env: AppEnv, db: Database, logger: Logger, email: PlatformEmailContent): Promise<void> {
  const now = new Date();
  const id = newId("pem", now.getTime());
  const from = env.PLATFORM_MAIL_FROM ?? `no-reply@${env.MESSAGE_ID_DOMAIN}`;
  const record = { id, kind: email.kind, recipient: email.to.email, createdAt: now };
  const logFields = { platformEmailId: id, kind: email.kind, to: maskEmail(email.to.email) };

  if (!env.PLATFORM_MAIL_PROVIDER || !env.PLATFORM_MAIL_API_KEY) {
    if (env.APP_ENV === "production") {
      logger.error("platform_mail.not_configured", new Error("PLATFORM_MAIL_PROVIDER is not set"), logFields);
      await insertPlatformEmail(db, { ...record, status: "skipped", statusReason: "no platform mail provider configured", data: {} });
      return;
    }
    const rendered = { subject: email.subject, to: email.to.email, from, text: email.text, html: email.html };
    await insertPlatformEmail(db, { ...record, status: "sent", provider: "local", data: { rendered }, sentAt: now });
    logger.info("platform_mail.sent", { ...logFields, provider: "local" });
    return;
  }

  try {
    const settings: Record<string, string> = env.PLATFORM_MAIL_DOMAIN ? { domain: env.PLATFORM_MAIL_DOMAIN } : {};
    const adapter = createMailAdapter(integrationConfig.mail(env, { provider: env.PLATFORM_MAIL_PROVIDER, settings }, env.PLATFORM_MAIL_API_KEY));
    const sent = await adapter.send({
      from: { email: from, name: "Plumbline" },
      to: email.to,
      subject: email.subject,
      text: email.text,
      html: email.html,
      messageId: `<${id}@${env.MESSAGE_ID_DOMAIN}>`,
      idempotencyKey: id,
      metadata: { platformEmailId: id },
    });
    await insertPlatformEmail(db, { ...record, status: "sent", provider: sent.provider, providerMessageId: sent.providerMessageId, data: {}, sentAt: now });
    logger.info("platform_mail.sent", { ...logFields, provider: sent.provider });
  } catch (error) {
    // NOTE: a failed send is not retried. The person must request another link, which makes a new token.
    const reason = error instanceof Error ? error.message : String(error);
    await insertPlatformEmail(db, { ...record, status: "failed", provider: env.PLATFORM_MAIL_PROVIDER, statusReason: reason.slice(0, 500), data: {} });
    logger.error("platform_mail.failed", error, logFields);
  }
}
