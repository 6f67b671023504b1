import { z } from "zod";
import {
  describeIssue,
  looseString,
  parseProviderTime,
  readJsonBody,
  type BookingEvent,
  type BookingEventKind,
  type BookingParseResult,
} from "./types";

/*
 * Calendly v2 webhooks are `{event, created_at, created_by, payload}`, and for invitee events the payload is the
 * invitee: `uri`, `email`, `name`, `timezone`, `rescheduled`, `old_invitee`, `new_invitee`, `tracking`,
 * `cancellation`, `scheduled_event` (Calendly API reference, the Invitee resource). A reschedule is two
 * deliveries that may arrive in either order (Calendly docs, "See how webhook payloads change when invitees
 * reschedule events"): `invitee.canceled` for the old invitee with `rescheduled: true` and `new_invitee`, and
 * `invitee.created` for the new invitee with `old_invitee`. Old and new links sit on the invitee because a
 * reschedule belongs to one invitee, so the invitee uri, not the scheduled event, is the meeting key here.
 */

const membership = z
  .object({ user_email: looseString, user_name: looseString })
  .catch({ user_email: undefined, user_name: undefined });

const scheduledEventSchema = z.object({
  uri: looseString,
  name: looseString,
  start_time: looseString,
  end_time: looseString,
  location: z
    .object({ type: looseString, location: looseString, join_url: looseString })
    .nullish()
    .catch(undefined),
  event_memberships: z.array(membership).nullish().catch(undefined),
});

const payloadSchema = z.object({
  uri: looseString,
  email: looseString,
  name: looseString,
  first_name: looseString,
  last_name: looseString,
  timezone: looseString,
  rescheduled: z.boolean().nullish().catch(undefined),
  old_invitee: looseString,
  new_invitee: looseString,
  tracking: z.record(z.string(), z.unknown()).nullish().catch(undefined),
  cancellation: z.object({ reason: looseString }).nullish().catch(undefined),
  scheduled_event: scheduledEventSchema.nullish().catch(undefined),
  no_show: z.object({ uri: looseString }).nullish().catch(undefined),
});

const envelopeSchema = z.object({
  event: z.string().min(1),
  created_at: z.string(),
  payload: z.record(z.string(), z.unknown()),
});

type CalendlyPayload = z.infer<typeof payloadSchema>;

/** Kinds that describe a booked slot, so a missing start or end is an error rather than a new shape. */
const NEEDS_TIMES: ReadonlySet<BookingEventKind> = new Set(["booked", "rescheduled", "cancelled"]);

/** Parses a verified Calendly webhook body into a BookingEvent. */
export function parseCalendlyWebhook(body: string | ArrayBuffer | Uint8Array): BookingParseResult {
  const json = readJsonBody(body);
  if (!json.ok) return json;

  const envelope = envelopeSchema.safeParse(json.value);
  if (!envelope.success) return { ok: false, error: describeIssue(envelope.error, "Calendly webhook") };

  const { event: eventName, created_at: createdAt } = envelope.data;
  const parsedPayload = payloadSchema.safeParse(envelope.data.payload);
  if (!parsedPayload.success) return { ok: false, error: describeIssue(parsedPayload.error, "Calendly payload") };
  const payload = parsedPayload.data;
  const label = `Calendly ${eventName}`;

  const occurredAt = parseProviderTime(createdAt);
  if (!occurredAt) return { ok: false, error: `${label}: created_at "${createdAt}" is not a timestamp with a zone.` };

  const uri = payload.uri;
  if (!uri) return { ok: false, error: `${label}: payload has no invitee uri (payload.uri).` };
  if (!payload.email) return { ok: false, error: `${label}: payload has no attendee email (payload.email).` };

  const scheduled = payload.scheduled_event;
  const startsAt = parseProviderTime(scheduled?.start_time);
  const endsAt = parseProviderTime(scheduled?.end_time);
  const shape = shapeOf(eventName, payload, uri);
  if (NEEDS_TIMES.has(shape.kind) && (!startsAt || !endsAt)) {
    return { ok: false, error: `${label}: payload.scheduled_event.start_time and end_time must be timestamps.` };
  }

  const host = scheduled?.event_memberships?.[0];
  const organiser = host?.user_email || host?.user_name
    ? { email: host.user_email?.toLowerCase(), name: host.user_name }
    : undefined;
  const isOldHalf = shape.rescheduleHalf === "old";
  const event: BookingEvent = {
    provider: "calendly",
    eventId: eventIdOf(eventName, payload, uri, createdAt),
    ...shape,
    attendee: { email: payload.email.toLowerCase(), name: nameOf(payload), timeZone: payload.timezone },
    organiser,
    startsAt,
    endsAt,
    previousStartsAt: isOldHalf ? startsAt : undefined,
    previousEndsAt: isOldHalf ? endsAt : undefined,
    title: scheduled?.name,
    location: scheduled?.location
      ? (scheduled.location.join_url ?? scheduled.location.location ?? scheduled.location.type)
      : undefined,
    utm: {
      source: looseString.parse(payload.tracking?.utm_source),
      medium: looseString.parse(payload.tracking?.utm_medium),
      campaign: looseString.parse(payload.tracking?.utm_campaign),
      content: looseString.parse(payload.tracking?.utm_content),
      term: looseString.parse(payload.tracking?.utm_term),
    },
    cancellationReason: eventName === "invitee.canceled" ? payload.cancellation?.reason : undefined,
    occurredAt,
    raw: json.value,
  };
  return { ok: true, event };
}

/**
 * Joins Calendly's two reschedule deliveries, in whichever order they arrived, into one "rescheduled" event:
 * the new half's booking with the old half's slot and reason. Both halves carry the old invitee's uri as
 * `previousMeetingKey`, which is what a caller should store the first half under while it waits for the
 * second. Returns undefined unless one event is each half of the same reschedule.
 */
export function mergeCalendlyReschedule(first: BookingEvent, second: BookingEvent): BookingEvent | undefined {
  const halves = [first, second];
  const oldHalf = halves.find((event) => event.rescheduleHalf === "old");
  const newHalf = halves.find((event) => event.rescheduleHalf === "new");
  if (!oldHalf || !newHalf) return undefined;
  if (oldHalf.provider !== "calendly" || newHalf.provider !== "calendly") return undefined;
  if (!oldHalf.previousMeetingKey || oldHalf.previousMeetingKey !== newHalf.previousMeetingKey) return undefined;

  const occurredAt = oldHalf.occurredAt > newHalf.occurredAt ? oldHalf.occurredAt : newHalf.occurredAt;
  return {
    ...newHalf,
    eventId: `calendly:rescheduled:${newHalf.previousMeetingKey}:${newHalf.meetingKey}`,
    rescheduleHalf: undefined,
    previousStartsAt: oldHalf.startsAt,
    previousEndsAt: oldHalf.endsAt,
    cancellationReason: oldHalf.cancellationReason,
    occurredAt,
    raw: { old: oldHalf.raw, new: newHalf.raw },
  };
}

type Shape = Pick<BookingEvent, "kind" | "meetingKey" | "previousMeetingKey" | "rescheduleHalf">;

function shapeOf(eventName: string, payload: CalendlyPayload, uri: string): Shape {
  switch (eventName) {
    case "invitee.created":
      if (payload.old_invitee) {
        return { kind: "rescheduled", meetingKey: uri, previousMeetingKey: payload.old_invitee, rescheduleHalf: "new" };
      }
      return { kind: "booked", meetingKey: uri };

    case "invitee.canceled":
      if (payload.rescheduled === true) {
        // NOTE: without new_invitee the meeting key falls back to the old uri. Both halves still carry the old uri
        // as previousMeetingKey, so they can be paired.
        const meetingKey = payload.new_invitee ?? uri;
        return { kind: "rescheduled", meetingKey, previousMeetingKey: uri, rescheduleHalf: "old" };
      }
      return { kind: "cancelled", meetingKey: uri };

    case "invitee_no_show.created":
      return { kind: "no_show", meetingKey: uri };

    default:
      return { kind: "other", meetingKey: uri };
  }
}

/**
 * Calendly makes a new invitee for every booking and every reschedule, so an invitee uri is created once and
 * cancelled at most once, and the event name and invitee uri identify a delivery. A no-show can be marked,
 * removed and marked again for one invitee, so no-show events use the no-show record's uri. Without that uri,
 * and for unrecognised events, the id adds created_at.
 * NOTE: the invitee_no_show payloads are read as the invitee with a `no_show` record. That shape is unconfirmed.
 */
function eventIdOf(eventName: string, payload: CalendlyPayload, uri: string, createdAt: string): string {
  if (eventName === "invitee.created" || eventName === "invitee.canceled") return `calendly:${eventName}:${uri}`;
  if (eventName.startsWith("invitee_no_show.") && payload.no_show?.uri) {
    return `calendly:${eventName}:${payload.no_show.uri}`;
  }
  return `calendly:${eventName}:${uri}:${createdAt}`;
}

function nameOf(payload: CalendlyPayload): string | undefined {
  if (payload.name) return payload.name;
  const parts = [payload.first_name, payload.last_name].filter(Boolean);
  return parts.length > 0 ? parts.join(" ") : undefined;
}
