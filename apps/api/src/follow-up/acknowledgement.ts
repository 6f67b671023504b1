import { DEFAULT_ACKNOWLEDGEMENT, describeWorkingHours, renderTemplate, toHeaderText } from "@plumbline/core";
import {
  countSentTo,
  findDefaultIntegration,
  findEmailTemplate,
  isEmailSuppressed,
  loadOpportunityContext,
  type OpportunityContext,
  type OutboundMessage,
} from "@plumbline/db";
import type { OutgoingEmail } from "@plumbline/integrations";
import type { DeliveryContext } from "./deliver";
import { sendEmail } from "./mail";
import type { DeliveryResult } from "./outcome";

/** Acknowledgements to one address in 24 hours beyond this are skipped, so a loop or a prank cannot flood anyone. */
export const ACKNOWLEDGEMENTS_PER_ADDRESS_PER_DAY = 3;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Sends the personalised acknowledgement to the prospect, unless a guard says it must not go. */
export async function deliverAcknowledgement(context: DeliveryContext, row: OutboundMessage): Promise<DeliveryResult> {
  const { db, now } = context;
  if (!row.opportunityId || !row.recipient) return { kind: "skipped", reason: "no address" };

  const opportunity = await loadOpportunityContext(db, row.firmId, row.opportunityId);
  if (!opportunity) return { kind: "failed", reason: "opportunity not found" };

  if (await isEmailSuppressed(db, row.firmId, row.recipient)) return { kind: "skipped", reason: "address bounced" };
  const sentToday = await countSentTo(db, row.firmId, row.recipient, "acknowledgement_email", new Date(now.getTime() - DAY_MS));
  if (sentToday >= ACKNOWLEDGEMENTS_PER_ADDRESS_PER_DAY) return { kind: "skipped", reason: "daily limit for this address reached" };

  const integration = await findDefaultIntegration(db, row.firmId, "mail");
  const email = await buildAcknowledgement(context, row, opportunity);
  return sendEmail(context, row, integration, email);
}

async function buildAcknowledgement(context: DeliveryContext, row: OutboundMessage, context_: OpportunityContext): Promise<OutgoingEmail> {
  const { opportunity, contact, firm } = context_;
  const template = (await findEmailTemplate(context.db, row.firmId, "acknowledgement")) ?? DEFAULT_ACKNOWLEDGEMENT;

  const firstName = contact.name?.split(/\s+/)[0];
  const values: Record<string, string> = {
    greeting: firstName ? `Dear ${firstName}` : "Hello",
    prospect_name: contact.name ?? "",
    prospect_first_name: firstName ?? "",
    firm_name: firm.name,
    // The prospect's own choice on the form, never the internal service line, which can read differently.
    service_line: serviceLabelOf(row) ?? "your enquiry",
    partner_name: context_.ownerName ?? "One of our team",
    firm_hours: describeWorkingHours(firm.workingHours),
    reference: opportunity.reference,
  };

  const subject = renderTemplate(template.subject, values, "text");
  const text = renderTemplate(template.text, values, "text");
  const html = renderTemplate(template.html, values, "html");
  const unknown = [...new Set([...subject.unknown, ...text.unknown, ...html.unknown])];
  if (unknown.length > 0) context.logger.warn("template.unknown_placeholders", { firmId: row.firmId, placeholders: unknown.join(",") });

  return {
    from: { email: firm.senderEmail ?? `no-reply@${context.env.MESSAGE_ID_DOMAIN}`, name: toHeaderText(firm.senderName ?? firm.name) },
    to: { email: contact.email ?? row.recipient!, ...(contact.name ? { name: toHeaderText(contact.name) } : {}) },
    replyTo: `reply+${opportunity.replyToken}@${context.env.INBOUND_EMAIL_DOMAIN}`,
    subject: toHeaderText(subject.output),
    text: text.output,
    html: html.output,
    messageId: `<${row.id}@${context.env.MESSAGE_ID_DOMAIN}>`,
    idempotencyKey: row.id,
    metadata: { outboundMessageId: row.id, firmId: row.firmId, opportunityId: opportunity.id },
  };
}

/** Reads the service the prospect chose from the message's data; null when the enquiry named none. */
function serviceLabelOf(row: OutboundMessage): string | null {
  const label = (row.data as { serviceLabel?: unknown } | null)?.serviceLabel;
  return typeof label === "string" && label.trim() !== "" ? label : null;
}
