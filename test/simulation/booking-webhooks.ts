import { hmacSha256Hex } from "../../apps/api/src/lib/crypto";
import { callApi } from "../support/api";

/*
 * Booking webhooks as the simulated prospects' booking tools send them: Calendly v2 invitee events and Cal.com
 * booking triggers, with only the fields Plumbline reads, signed the way each provider signs.
 */

/** The signing secret both simulated booking integrations are created with. */
export const BOOKING_SECRET = "simulated-firm-booking-secret-0123";

const MEETING_MINUTES = 30;

export interface Attendee {
  name: string;
  email: string;
}

export interface Slot {
  startsAt: Date;
  /** The provider's time for the event, sent as the webhook envelope's timestamp. */
  sentAt: Date;
}

const endOf = (startsAt: Date) => new Date(startsAt.getTime() + MEETING_MINUTES * 60_000);

/** A Calendly invitee; a reschedule replaces the invitee, so each booking and each new slot gets a new one. */
export interface CalendlyInvitee {
  eventUri: string;
  inviteeUri: string;
}

export function calendlyInvitee(tag: string): CalendlyInvitee {
  const eventUri = `https://api.calendly.com/scheduled_events/SIM-EV-${tag}`;
  return { eventUri, inviteeUri: `${eventUri}/invitees/SIM-INV-${tag}` };
}

function calendlyBody(
  event: "invitee.created" | "invitee.canceled",
  invitee: CalendlyInvitee,
  attendee: Attendee,
  slot: Slot,
  links: { rescheduled?: boolean; oldInvitee?: string; newInvitee?: string; reason?: string } = {},
): string {
  return JSON.stringify({
    event,
    created_at: slot.sentAt.toISOString(),
    created_by: "https://api.calendly.com/users/SIM-HOST",
    payload: {
      uri: invitee.inviteeUri,
      email: attendee.email,
      name: attendee.name,
      timezone: "Europe/London",
      status: event === "invitee.created" ? "active" : "canceled",
      rescheduled: links.rescheduled ?? false,
      old_invitee: links.oldInvitee ?? null,
      new_invitee: links.newInvitee ?? null,
      tracking: {},
      scheduled_event: {
        uri: invitee.eventUri,
        name: "Initial consultation",
        start_time: slot.startsAt.toISOString(),
        end_time: endOf(slot.startsAt).toISOString(),
        location: { type: "google_conference", join_url: "https://meet.example.com/sim" },
        event_memberships: [{ user_email: "partner@hartley-moss.example" }],
      },
      ...(event === "invitee.canceled" ? { cancellation: { canceled_by: attendee.name, reason: links.reason ?? "Something came up" } } : {}),
    },
  });
}

export const calendlyBooked = (invitee: CalendlyInvitee, attendee: Attendee, slot: Slot) => calendlyBody("invitee.created", invitee, attendee, slot);

export const calendlyCancelled = (invitee: CalendlyInvitee, attendee: Attendee, slot: Slot) =>
  calendlyBody("invitee.canceled", invitee, attendee, slot, { reason: "Found another firm nearer home" });

/** Builds the two deliveries of a Calendly reschedule: the old invitee cancelled, and the new invitee created. */
export function calendlyRescheduleHalves(from: CalendlyInvitee, to: CalendlyInvitee, attendee: Attendee, oldSlot: Slot, newSlot: Slot) {
  return {
    cancelOld: calendlyBody("invitee.canceled", from, attendee, oldSlot, { rescheduled: true, newInvitee: to.inviteeUri, reason: "Rescheduled" }),
    createNew: calendlyBody("invitee.created", to, attendee, newSlot, { oldInvitee: from.inviteeUri }),
  };
}

type CalcomTrigger = "BOOKING_CREATED" | "BOOKING_RESCHEDULED" | "BOOKING_CANCELLED" | "MEETING_ENDED";

export function calcomBody(trigger: CalcomTrigger, uid: string, attendee: Attendee, slot: Slot, replaced?: { uid: string; startsAt: Date }): string {
  return JSON.stringify({
    triggerEvent: trigger,
    createdAt: slot.sentAt.toISOString(),
    payload: {
      uid,
      title: `Initial consultation with ${attendee.name}`,
      startTime: slot.startsAt.toISOString(),
      endTime: endOf(slot.startsAt).toISOString(),
      organizer: { name: "Hartley & Moss partner", email: "partner@hartley-moss.example", timeZone: "Europe/London" },
      attendees: [{ email: attendee.email, name: attendee.name, timeZone: "Europe/London" }],
      location: "integrations:daily",
      metadata: { videoCallUrl: "https://video.example.com/sim" },
      ...(trigger === "BOOKING_CANCELLED" ? { cancellationReason: "Found another firm nearer home" } : {}),
      ...(replaced
        ? { rescheduleUid: replaced.uid, rescheduleStartTime: replaced.startsAt.toISOString(), rescheduleEndTime: endOf(replaced.startsAt).toISOString() }
        : {}),
    },
  });
}

/**
 * Sends a Calendly webhook signed for the current (simulated) time, which the signature check compares with.
 * `env` overrides Worker bindings, as callApi does.
 */
export async function sendCalendly(integrationId: string, body: string, env: Record<string, unknown> = {}): Promise<Response> {
  const timestamp = Math.floor(Date.now() / 1000);
  const signature = `t=${timestamp},v1=${await hmacSha256Hex(BOOKING_SECRET, `${timestamp}.${body}`)}`;
  return callApi(`/v1/webhooks/calendly/${integrationId}`, {
    method: "POST",
    headers: { "content-type": "application/json", "calendly-webhook-signature": signature },
    body,
  }, env);
}

export async function sendCalcom(integrationId: string, body: string, env: Record<string, unknown> = {}): Promise<Response> {
  return callApi(`/v1/webhooks/calcom/${integrationId}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-cal-signature-256": await hmacSha256Hex(BOOKING_SECRET, body) },
    body,
  }, env);
}
