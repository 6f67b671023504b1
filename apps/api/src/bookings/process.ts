import { classifyChannel, localDateOf, newId, newReference, normaliseEmail, type StageEvent, type Touch } from "@plumbline/core";
import {
  findDefaultIntegration,
  findFirmById,
  findMeetingByKeys,
  findNextMeeting,
  findOpenOpportunityForContact,
  findWebhookEvent,
  insertBookingOpportunity,
  insertMeeting,
  insertOwedMessage,
  markMessagesQueued,
  markWebhookEvent,
  recordOpportunityActivity,
  updateMeeting,
  upsertContactByEmail,
  type Database,
  type Meeting,
  type NewTouch,
} from "@plumbline/db";
import { parseCalcomWebhook, parseCalendlyWebhook, type BookingEvent } from "@plumbline/integrations";
import type { AppEnv } from "../env";
import type { Logger } from "../logger";
import { routeOwner } from "../follow-up/plan";
import { applyStageEvent } from "../pipeline/apply";

export interface BookingContext {
  env: AppEnv;
  db: Database;
  logger: Logger;
  now: Date;
}

/** Parses a stored booking webhook body with its provider's parser. */
export function parseBookingBody(provider: string, body: string) {
  if (provider === "calcom") return parseCalcomWebhook(body);
  if (provider === "calendly") return parseCalendlyWebhook(body);
  return { ok: false as const, error: `unknown booking provider ${provider}` };
}

/**
 * Processes one stored booking webhook: matches the attendee to a contact (created if new) and to the contact's
 * open opportunity (or a new one with source "booking"), then applies the event to the meeting, the timeline and
 * the stage. Events already processed, and events older than the meeting's latest, change nothing.
 */
export async function processBookingWebhook(context: BookingContext, firmId: string, webhookEventId: string): Promise<void> {
  const { db, logger, now } = context;
  const stored = await findWebhookEvent(db, firmId, webhookEventId);
  if (!stored || stored.status !== "received") return;

  const parsed = parseBookingBody(stored.provider, stored.body);
  if (!parsed.ok) {
    await markWebhookEvent(db, firmId, webhookEventId, "failed", parsed.error, now);
    logger.warn("booking.unreadable", { firmId, webhookEventId, error: parsed.error });
    return;
  }
  const event = parsed.event;
  const firm = await findFirmById(db, firmId);
  const email = normaliseEmail(event.attendee.email);
  if (!firm || typeof email === "string") {
    await markWebhookEvent(db, firmId, webhookEventId, "failed", firm ? "attendee email is invalid" : "firm not found", now);
    return;
  }

  const contactId = await upsertContactByEmail(db, {
    newId: newId("con", now.getTime()),
    firmId,
    name: event.attendee.name ?? null,
    email: email.display,
    emailNormalised: email.key,
    now,
  });
  const { opportunityId, created } = await opportunityFor(context, firm, contactId, event);

  const meeting = await findMeetingByKeys(db, firmId, event.provider, [event.meetingKey, event.previousMeetingKey ?? ""]);
  if (meeting && meeting.lastEventAt.getTime() > event.occurredAt.getTime() && event.kind !== "rescheduled") {
    await markWebhookEvent(db, firmId, webhookEventId, "ignored", "older than the meeting's latest event", now);
    return;
  }

  // A booking that made the opportunity is already its enquiry touch. A later booking is a marketing touch only when
  // the link carried campaign parameters: a meeting booked from the acknowledgement email is the sales process, and
  // counting it would give every won deal's last touch to "booking".
  const touch = created ? null : bookingTouch(event, firm, webhookEventId);
  const outcome = await applyToMeeting(context, firmId, opportunityId, contactId, meeting, event, touch);
  if (outcome.timelineType) {
    await recordOpportunityActivity(db, {
      id: `act_${webhookEventId.slice(4)}`,
      firmId,
      opportunityId,
      contactId,
      type: outcome.timelineType,
      origin: event.provider,
      data: {
        meetingKey: event.meetingKey,
        startsAt: event.startsAt?.toISOString() ?? null,
        previousStartsAt: event.previousStartsAt?.toISOString() ?? null,
        title: event.title ?? null,
        cancellationReason: event.cancellationReason ?? null,
        webhookEventId,
      },
      occurredAt: event.occurredAt,
      fromProspect: event.kind === "booked" || event.kind === "rescheduled" || event.kind === "meeting_ended",
      now,
    });
  }
  if (outcome.stageEvent) await applyStageEvent(db, logger, firmId, opportunityId, outcome.stageEvent, now);
  if (outcome.timelineType && NOTICE_CHANGES[outcome.timelineType]) {
    await oweMeetingNotice(context, firmId, opportunityId, webhookEventId, NOTICE_CHANGES[outcome.timelineType]!, event);
  }

  await markWebhookEvent(db, firmId, webhookEventId, "processed", null, now);
  logger.info("booking.processed", { firmId, webhookEventId, kind: event.kind, timeline: outcome.timelineType ?? "none" });
}

/** Meeting changes the firm's channel hears about, by timeline entry type. */
const NOTICE_CHANGES: Record<string, string> = {
  "meeting.booked": "booked",
  "meeting.rescheduled": "rescheduled",
  "meeting.cancelled": "cancelled",
  "meeting.reschedule_requested": "reschedule_requested",
};

/**
 * Owes the firm's chat channel one notice of a meeting change, keyed by the webhook event so reprocessing owes
 * nothing more, and queues it. If queueing fails the row stays unqueued and the cron queues it.
 */
async function oweMeetingNotice(context: BookingContext, firmId: string, opportunityId: string, webhookEventId: string, change: string, event: BookingEvent) {
  const id = `msg_${webhookEventId.slice(4)}_notice`;
  await insertOwedMessage(context.db, {
    id,
    firmId,
    opportunityId,
    kind: "meeting_notice",
    channel: "chat",
    integrationId: (await findDefaultIntegration(context.db, firmId, "chat"))?.id ?? null,
    // Calendly's cancellation half of a reschedule carries the old slot, and the new one is not known yet.
    data: {
      change,
      startsAt: event.rescheduleHalf === "old" ? null : (event.startsAt?.toISOString() ?? null),
      previousStartsAt: (event.previousStartsAt ?? (event.rescheduleHalf === "old" ? event.startsAt : undefined))?.toISOString() ?? null,
      title: event.title ?? null,
    },
    now: context.now,
  });
  try {
    await context.env.FOLLOW_UP_QUEUE.send({ kind: "outbound", outboundMessageId: id, firmId });
    await markMessagesQueued(context.db, firmId, [id], context.now);
  } catch (error) {
    context.logger.error("meeting_notice.queue_failed", error, { firmId, outboundMessageId: id });
  }
}

/** Reads a booking's UTM parameters into a touch and classifies its channel; "booking" when it carried none. */
function classifyBooking(event: BookingEvent, firm: { websiteHosts: string[] }) {
  const touch: Touch = {
    ...(event.utm.source ? { utm_source: event.utm.source } : {}),
    ...(event.utm.medium ? { utm_medium: event.utm.medium } : {}),
    ...(event.utm.campaign ? { utm_campaign: event.utm.campaign } : {}),
    ...(event.utm.term ? { utm_term: event.utm.term } : {}),
    ...(event.utm.content ? { utm_content: event.utm.content } : {}),
  };
  const hasTouch = Object.keys(touch).length > 0;
  const classified = hasTouch ? classifyChannel(touch, { firmHosts: firm.websiteHosts }) : { channel: "booking", reason: "booked directly, no campaign" };
  return { touch: hasTouch ? touch : null, ...classified };
}

/** Returns the marketing touch of a later booking, or null when the booking link carried no campaign parameters. */
function bookingTouch(event: BookingEvent, firm: { websiteHosts: string[] }, webhookEventId: string): NewTouch | null {
  const classified = classifyBooking(event, firm);
  if (!classified.touch) return null;
  return { id: `tch_${webhookEventId}`, kind: "booking", channel: classified.channel, campaign: event.utm.campaign ?? null, occurredAt: event.occurredAt };
}

async function opportunityFor(
  context: BookingContext,
  firm: { id: string; currency: string; websiteHosts: string[]; timeZone: string; fallbackOwnerUserId: string | null },
  contactId: string,
  event: BookingEvent,
): Promise<{ opportunityId: string; created: boolean }> {
  const open = await findOpenOpportunityForContact(context.db, firm.id, contactId);
  if (open) return { opportunityId: open.id, created: false };

  const classified = classifyBooking(event, firm);
  const touch = classified.touch;
  const id = newId("opp", context.now.getTime());
  // A booking carries no service line, so only rules for any service line (and then the fallback owner) apply.
  const routed = await routeOwner(context.db, context.logger, firm, null, context.now);
  await insertBookingOpportunity(context.db, {
    id,
    firmId: firm.id,
    contactId,
    ownerUserId: routed.ownerUserId,
    reference: newReference(),
    currency: firm.currency,
    channel: classified.channel,
    utmSource: event.utm.source ?? null,
    utmMedium: event.utm.medium ?? null,
    utmCampaign: event.utm.campaign ?? null,
    attribution: { ...(touch ? { firstTouch: touch, lastTouch: touch } : {}), firstTouchReason: classified.reason, lastTouchReason: classified.reason },
    replyToken: newId("rt").slice(3),
    enquiryDate: localDateOf(context.now, firm.timeZone),
    now: context.now,
  });
  return { opportunityId: id, created: true };
}

interface MeetingOutcome {
  timelineType: string | null;
  stageEvent: StageEvent | null;
}

/**
 * Applies a booking event to the meeting row. A reschedule moves the row from its old key to the new one. That
 * move happens once, whichever of Calendly's two deliveries comes first, so the firm gets one "rescheduled" entry.
 */
async function applyToMeeting(
  context: BookingContext,
  firmId: string,
  opportunityId: string,
  contactId: string,
  meeting: Meeting | null,
  event: BookingEvent,
  touch: NewTouch | null,
): Promise<MeetingOutcome> {
  const { db, now } = context;
  const at = event.occurredAt;
  const base = { lastEventAt: at, updatedAt: now };

  switch (event.kind) {
    case "booked": {
      if (meeting) return { timelineType: null, stageEvent: null };
      await insertMeeting(db, {
        id: newId("mtg", now.getTime()),
        firmId,
        opportunityId,
        contactId,
        provider: event.provider,
        meetingKey: event.meetingKey,
        status: "booked",
        startsAt: event.startsAt ?? null,
        endsAt: event.endsAt ?? null,
        title: event.title ?? null,
        location: event.location ?? null,
        hostEmail: event.organiser?.email ?? null,
        createdAt: now,
        ...base,
      }, touch);
      return { timelineType: "meeting.booked", stageEvent: { type: "meeting_booked", at, source: event.provider } };
    }

    case "rescheduled": {
      const newSlot = event.rescheduleHalf !== "old";
      if (!meeting) {
        // The first word of this meeting is its reschedule: keep it as booked under the new key.
        await insertMeeting(
          db,
          {
            id: newId("mtg", now.getTime()),
            firmId,
            opportunityId,
            contactId,
            provider: event.provider,
            meetingKey: event.meetingKey,
            previousMeetingKey: event.previousMeetingKey ?? null,
            status: "booked",
            startsAt: newSlot ? (event.startsAt ?? null) : null,
            endsAt: newSlot ? (event.endsAt ?? null) : null,
            title: event.title ?? null,
            location: event.location ?? null,
            hostEmail: event.organiser?.email ?? null,
            createdAt: now,
            ...base,
          },
          touch,
        );
        return { timelineType: "meeting.rescheduled", stageEvent: { type: "meeting_booked", at, source: event.provider } };
      }

      const alreadyMoved = meeting.meetingKey === event.meetingKey;
      await updateMeeting(db, firmId, meeting.id, {
        meetingKey: event.meetingKey,
        previousMeetingKey: event.previousMeetingKey ?? meeting.previousMeetingKey,
        status: "booked",
        ...(newSlot ? { startsAt: event.startsAt ?? meeting.startsAt, endsAt: event.endsAt ?? meeting.endsAt } : {}),
        ...base,
      });
      return { timelineType: alreadyMoved ? null : "meeting.rescheduled", stageEvent: null };
    }

    case "cancelled":
    case "reschedule_requested": {
      if (!meeting || meeting.status === "cancelled") return { timelineType: null, stageEvent: null };
      await updateMeeting(db, firmId, meeting.id, {
        status: "cancelled",
        cancellationReason: event.kind === "reschedule_requested" ? "the host asked the prospect to rebook" : (event.cancellationReason ?? null),
        ...base,
      });
      const other = await findNextMeeting(db, firmId, opportunityId, now);
      return {
        timelineType: event.kind === "reschedule_requested" ? "meeting.reschedule_requested" : "meeting.cancelled",
        stageEvent: { type: "meeting_cancelled", at, source: event.provider, otherMeetingBooked: other !== null },
      };
    }

    case "no_show": {
      if (!meeting) return { timelineType: null, stageEvent: null };
      await updateMeeting(db, firmId, meeting.id, { status: "no_show", ...base });
      return { timelineType: "meeting.no_show", stageEvent: null };
    }

    case "meeting_ended": {
      if (meeting) await updateMeeting(db, firmId, meeting.id, { status: "held", ...base });
      return { timelineType: "meeting.held", stageEvent: { type: "meeting_held", at, source: event.provider } };
    }

    default:
      return { timelineType: null, stageEvent: null };
  }
}
