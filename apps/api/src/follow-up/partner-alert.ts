import {
  claimWaitingAlerts,
  findDefaultIntegration,
  findIntegration,
  loadOpportunityContext,
  takeChatSlot,
  type Integration,
  type OutboundMessage,
} from "@plumbline/db";
import { formatForFirm } from "@plumbline/core";
import { createChatAdapter, type ChatAlert, type EnquiryAlert } from "@plumbline/integrations";
import { decryptSecret } from "../lib/crypto";
import { opportunityUrl } from "../lib/dashboard-links";
import type { DeliveryContext } from "./deliver";
import { integrationConfig } from "./integration-config";
import { resultFromError, type DeliveryResult } from "./outcome";

/** Slack documents about one message per second per incoming webhook; Teams Workflows get the same spacing. */
export const CHAT_INTERVAL_MS = 1000;
/** Most alerts folded into one digest; the rest wait for the next one. */
const DIGEST_MAX_ITEMS = 20;

/**
 * Sends the partner alert for a new enquiry to the firm's Slack or Teams channel. When the channel's
 * one-a-second slot is taken, the alert waits. When other alerts for the same channel are already waiting, they
 * all go out together as one digest, so a burst is folded rather than dropped or throttled for minutes.
 */
export async function deliverPartnerAlert(
  context: DeliveryContext,
  row: OutboundMessage,
): Promise<{ rows: OutboundMessage[]; result: DeliveryResult }> {
  const { db, now } = context;
  const channel = await openChannel(context, row);
  if ("result" in channel) return { rows: [row], result: channel.result };
  const integration = channel.integration;

  const waiting = await claimWaitingAlerts(db, row.firmId, row.integrationId, row.id, now, DIGEST_MAX_ITEMS - 1);
  const rows = [row, ...waiting];
  const alerts = await Promise.all(rows.map((message) => buildEnquiryAlert(context, message)));
  const present = alerts.filter((alert): alert is EnquiryAlert => alert !== null);
  if (present.length === 0) return { rows, result: { kind: "failed", reason: "opportunity not found" } };

  const alert: ChatAlert =
    present.length === 1
      ? present[0]!
      : {
          kind: "digest",
          title: `${present.length} new enquiries`,
          items: present.map((item) => ({
            title: item.title,
            summary: item.fields.map((field) => `${field.label}: ${field.value}`).join(" · "),
            link: item.link,
          })),
        };

  return { rows, result: await sendAlert(context, integration, alert) };
}

/**
 * Finds the chat channel a message goes to and takes its send slot. Returns the integration (null for the local
 * outbox), or the result to record instead: failed, skipped, or a retry when the slot is taken.
 */
async function openChannel(context: DeliveryContext, row: OutboundMessage): Promise<{ integration: Integration | null } | { result: DeliveryResult }> {
  const { db, now } = context;
  const integration = row.integrationId
    ? await findIntegration(db, row.firmId, row.integrationId)
    : await findDefaultIntegration(db, row.firmId, "chat");

  if (integration?.status === "needs_attention") {
    return { result: { kind: "failed", reason: `chat integration needs attention: ${integration.statusReason ?? "reconnect it"}` } };
  }
  if (!integration && context.env.APP_ENV === "production") {
    return { result: { kind: "skipped", reason: "no chat integration configured" } };
  }

  if (integration) {
    const waitMs = await takeChatSlot(db, row.firmId, integration.id, now, CHAT_INTERVAL_MS);
    if (waitMs > 0) {
      // Jitter spreads alerts that lost the same slot, so they do not collide again.
      const delaySeconds = Math.ceil(waitMs / 1000) + Math.floor(Math.random() * 2);
      return { result: { kind: "retry", error: "waiting for the channel's next send slot", delaySeconds } };
    }
  }
  return { integration };
}

const MEETING_CHANGE_TITLES: Record<string, string> = {
  booked: "Meeting booked",
  rescheduled: "Meeting rescheduled",
  cancelled: "Meeting cancelled",
  reschedule_requested: "Meeting to be rebooked",
};

/**
 * Tells the firm's channel that a prospect's meeting was booked, moved or cancelled: one notice per change, so a
 * reschedule reads as one "rescheduled" notice rather than a cancellation and a new booking.
 */
export async function deliverMeetingNotice(context: DeliveryContext, row: OutboundMessage): Promise<DeliveryResult> {
  const data = row.data as { change?: string; startsAt?: string | null; previousStartsAt?: string | null; title?: string | null };
  if (!row.opportunityId || !data.change) return { kind: "failed", reason: "meeting notice has no opportunity or change" };
  const found = await loadOpportunityContext(context.db, row.firmId, row.opportunityId);
  if (!found) return { kind: "failed", reason: "opportunity not found" };

  const channel = await openChannel(context, row);
  if ("result" in channel) return channel.result;

  const zone = found.firm.timeZone;
  const when = (iso: string | null | undefined) => (iso ? formatForFirm(new Date(iso), zone) : "new time to follow");
  const fields = [
    { label: "Prospect", value: found.contact.name ?? found.contact.email ?? "(not given)" },
    { label: "When", value: when(data.startsAt) },
    ...(data.change === "rescheduled" && data.previousStartsAt ? [{ label: "Previously", value: when(data.previousStartsAt) }] : []),
    ...(data.title ? [{ label: "Meeting", value: data.title }] : []),
    { label: "Reference", value: found.opportunity.reference },
  ];
  const alert: EnquiryAlert = {
    kind: "enquiry",
    title: MEETING_CHANGE_TITLES[data.change] ?? "Meeting changed",
    fields,
    link: { url: opportunityUrl(context.env.DASHBOARD_URL, row.firmId, found.opportunity.id), label: "Open in Plumbline" },
  };
  return sendAlert(context, channel.integration, alert);
}

async function sendAlert(context: DeliveryContext, integration: Integration | null, alert: ChatAlert): Promise<DeliveryResult> {
  if (!integration) return { kind: "sent", provider: "local", providerMessageId: null, data: { rendered: alert } };
  try {
    const secret = await decryptSecret(context.env.ENCRYPTION_KEY, integration.secretEncrypted);
    const adapter = createChatAdapter(integrationConfig.chat(context.env, integration, secret));
    const sent = await adapter.send(alert);
    return { kind: "sent", provider: sent.provider, providerMessageId: null, data: { rendered: { title: alert.title } } };
  } catch (error) {
    return resultFromError(error, context.attempt, integration.id);
  }
}

async function buildEnquiryAlert(context: DeliveryContext, row: OutboundMessage): Promise<EnquiryAlert | null> {
  if (!row.opportunityId) return null;
  const found = await loadOpportunityContext(context.db, row.firmId, row.opportunityId);
  if (!found) return null;
  const { opportunity, contact } = found;

  const fields = [
    { label: "Name", value: contact.name ?? "(not given)" },
    { label: "Email", value: contact.email ?? "(not given)" },
    { label: "Phone", value: contact.phone ?? "(not given)" },
    { label: "Service", value: opportunity.serviceLine ?? "(not given)" },
    { label: "Channel", value: opportunity.channel.replace(/_/g, " ") },
    { label: "Owner", value: found.ownerName ?? "Unassigned" },
    { label: "Reference", value: opportunity.reference },
  ];
  // An enquiry forwarded to the capture address names the firm address it came through.
  const forwardedBy = (row.data as { forwardedBy?: unknown }).forwardedBy;
  if (typeof forwardedBy === "string") fields.push({ label: "Forwarded by", value: forwardedBy });
  const message = (await messageOf(context, row)) ?? undefined;
  return {
    kind: "enquiry",
    title: `New enquiry${opportunity.serviceLine ? `: ${opportunity.serviceLine}` : ""}`,
    fields,
    ...(message ? { message } : {}),
    link: { url: opportunityUrl(context.env.DASHBOARD_URL, row.firmId, opportunity.id), label: "Open in Plumbline" },
  };
}

/** Reads the prospect's message from the enquiry's timeline entry. */
async function messageOf(context: DeliveryContext, row: OutboundMessage): Promise<string | null> {
  const entry = await context.db.query.activities.findFirst({
    where: (activities, { and, eq }) =>
      and(eq(activities.firmId, row.firmId), eq(activities.opportunityId, row.opportunityId!), eq(activities.type, "enquiry.received")),
  });
  const message = (entry?.data as { message?: unknown } | undefined)?.message;
  return typeof message === "string" ? message : null;
}
