import { z } from "zod";
import {
  describeIssue,
  looseString,
  parseProviderTime,
  readJsonBody,
  type BookingEvent,
  type BookingEventKind,
  type BookingParseResult,
  type BookingUtm,
} from "./types";

/*
 * Cal.com webhooks are `{triggerEvent, createdAt, payload}` (Cal.com docs, "Webhooks"). Booking triggers carry
 * the booking: `uid`, `title`, `startTime`, `endTime`, `organizer`, `attendees[]`, `responses`, `location`,
 * `metadata`, `cancellationReason`. BOOKING_RESCHEDULED describes the new booking, whose `uid` is new, and names
 * the replaced booking in `rescheduleUid` with its slot in `rescheduleStartTime`/`rescheduleEndTime`. A host's
 * "request reschedule" is BOOKING_CANCELLED with `requestReschedule: true`. BOOKING_NO_SHOW_UPDATED has a
 * different payload: `{message, bookingUid, bookingId, attendees: [{email, noShow}]}` and no times. These field
 * names come from Cal.com's webhook payload builder in its source. Shapes change between versions, so every
 * field here is optional and a field of the wrong type is read as absent.
 */

const person = z.object({ email: looseString, name: looseString, timeZone: looseString });

const attendee = person.extend({ noShow: z.boolean().optional().catch(undefined) });

const objectRecord = z.record(z.string(), z.unknown());

const payloadSchema = z.object({
  uid: looseString,
  bookingUid: looseString,
  attendeeSeatId: looseString,
  title: looseString,
  eventTitle: looseString,
  startTime: looseString,
  endTime: looseString,
  organizer: person.optional().catch(undefined),
  attendees: z.array(z.unknown()).optional().catch(undefined),
  responses: objectRecord.optional().catch(undefined),
  location: looseString,
  metadata: objectRecord.optional().catch(undefined),
  tracking: objectRecord.optional().catch(undefined),
  rescheduleUid: looseString,
  fromReschedule: looseString,
  rescheduleStartTime: looseString,
  rescheduleEndTime: looseString,
  cancellationReason: looseString,
  requestReschedule: z.boolean().optional().catch(undefined),
});

const envelopeSchema = z.object({
  triggerEvent: z.string().min(1),
  createdAt: z.string(),
  payload: objectRecord,
});

type CalcomPayload = z.infer<typeof payloadSchema>;
type CalcomAttendee = z.infer<typeof attendee>;

/**
 * Triggers that mark a one-time step of one booking uid, because a reschedule creates a new uid. For these the
 * trigger and uid identify the delivery even if a retry carries a new `createdAt`. Any other trigger adds
 * `createdAt` to its id, because a no-show flag, for one, can be set and cleared many times.
 */
const ONCE_PER_BOOKING = new Set([
  "BOOKING_CREATED",
  "BOOKING_RESCHEDULED",
  "BOOKING_CANCELLED",
  "BOOKING_REJECTED",
  "BOOKING_REQUESTED",
  "BOOKING_PAID",
  "BOOKING_PAYMENT_INITIATED",
  "MEETING_STARTED",
  "MEETING_ENDED",
]);

/** Kinds whose payload is a whole booking, so a missing start or end is an error rather than a new shape. */
const NEEDS_TIMES: ReadonlySet<BookingEventKind> = new Set([
  "booked",
  "rescheduled",
  "cancelled",
  "reschedule_requested",
  "meeting_started",
  "meeting_ended",
]);

/**
 * Parses a verified Cal.com webhook body into a BookingEvent. BOOKING_REQUESTED and BOOKING_REJECTED become
 * "other", because the meeting is not on the calendar until Cal.com confirms it with BOOKING_CREATED.
 */
export function parseCalcomWebhook(body: string | ArrayBuffer | Uint8Array): BookingParseResult {
  const json = readJsonBody(body);
  if (!json.ok) return json;

  const envelope = envelopeSchema.safeParse(json.value);
  if (!envelope.success) return { ok: false, error: describeIssue(envelope.error, "Cal.com webhook") };

  const { triggerEvent, createdAt } = envelope.data;
  const parsedPayload = payloadSchema.safeParse(envelope.data.payload);
  if (!parsedPayload.success) return { ok: false, error: describeIssue(parsedPayload.error, "Cal.com payload") };
  const payload = parsedPayload.data;
  const label = `Cal.com ${triggerEvent}`;

  const occurredAt = parseProviderTime(createdAt);
  if (!occurredAt) return { ok: false, error: `${label}: createdAt "${createdAt}" is not a timestamp with a zone.` };

  const uid = payload.uid ?? payload.bookingUid;
  if (!uid) return { ok: false, error: `${label}: payload has no booking uid (payload.uid or payload.bookingUid).` };

  const attendees = readAttendees(payload.attendees);
  const kind = kindOf(triggerEvent, payload, attendees);
  const booker = pickAttendee(kind, attendees);
  const email = booker?.email ?? responseValue(payload.responses, "email");
  if (!email) {
    const error = `${label}: payload has no attendee email (payload.attendees[].email or payload.responses.email).`;
    return { ok: false, error };
  }

  const startsAt = parseProviderTime(payload.startTime);
  const endsAt = parseProviderTime(payload.endTime);
  if (NEEDS_TIMES.has(kind) && (!startsAt || !endsAt)) {
    return { ok: false, error: `${label}: payload.startTime and payload.endTime must be timestamps with a zone.` };
  }

  const replacedUid = payload.rescheduleUid ?? payload.fromReschedule;
  const event: BookingEvent = {
    provider: "calcom",
    eventId: eventIdOf(triggerEvent, uid, payload.attendeeSeatId, createdAt),
    kind,
    meetingKey: calcomMeetingKey(uid),
    previousMeetingKey: replacedUid && replacedUid !== uid ? calcomMeetingKey(replacedUid) : undefined,
    attendee: {
      email: email.toLowerCase(),
      name: booker?.name ?? responseValue(payload.responses, "name"),
      timeZone: booker?.timeZone,
    },
    organiser: organiserOf(payload),
    startsAt,
    endsAt,
    previousStartsAt: parseProviderTime(payload.rescheduleStartTime),
    previousEndsAt: parseProviderTime(payload.rescheduleEndTime),
    title: payload.title ?? payload.eventTitle,
    location: locationOf(payload),
    utm: utmOf(payload),
    cancellationReason: payload.cancellationReason,
    occurredAt,
    raw: json.value,
  };
  return { ok: true, event };
}

/** Builds the meeting key of a Cal.com booking uid. The prefix keeps it apart from Calendly keys, which are URLs. */
export function calcomMeetingKey(uid: string): string {
  return `calcom:${uid}`;
}

function kindOf(trigger: string, payload: CalcomPayload, attendees: CalcomAttendee[]): BookingEventKind {
  switch (trigger) {
    case "BOOKING_CREATED":
      return "booked";
    case "BOOKING_RESCHEDULED":
      return "rescheduled";
    case "BOOKING_CANCELLED":
      return payload.requestReschedule === true ? "reschedule_requested" : "cancelled";
    case "MEETING_STARTED":
      return "meeting_started";
    case "MEETING_ENDED":
      return "meeting_ended";
    case "BOOKING_NO_SHOW_UPDATED":
      // The same trigger clears a no-show mark, with every noShow false, and that is reported as "other".
      return attendees.some((entry) => entry.noShow === true) ? "no_show" : "other";
    default:
      return "other";
  }
}

function eventIdOf(trigger: string, uid: string, seatId: string | undefined, createdAt: string): string {
  // Each seat of a seated event is booked and cancelled on its own under the shared booking uid.
  const seat = seatId ? `:seat:${seatId}` : "";
  const base = `calcom:${trigger}:${uid}${seat}`;
  return ONCE_PER_BOOKING.has(trigger) ? base : `${base}:${createdAt}`;
}

function readAttendees(entries: unknown[] | undefined): CalcomAttendee[] {
  const attendees: CalcomAttendee[] = [];
  for (const entry of entries ?? []) {
    const parsed = attendee.safeParse(entry);
    if (parsed.success && parsed.data.email) attendees.push(parsed.data);
  }
  return attendees;
}

/** Picks the booker, who is listed first with added guests after them, or for a no-show the absent attendee. */
function pickAttendee(kind: BookingEventKind, attendees: CalcomAttendee[]): CalcomAttendee | undefined {
  if (kind === "no_show") return attendees.find((entry) => entry.noShow === true);
  return attendees[0];
}

function organiserOf(payload: CalcomPayload): BookingEvent["organiser"] {
  const { email, name } = payload.organizer ?? {};
  if (!email && !name) return undefined;
  return { email: email?.toLowerCase(), name };
}

/** Reads a booking-form answer, which Cal.com sends as a plain value or as `{label, value}`. */
function responseValue(responses: Record<string, unknown> | undefined, key: string): string | undefined {
  const answer = responses?.[key];
  const value = answer && typeof answer === "object" && "value" in answer ? answer.value : answer;
  return looseString.parse(value);
}

/** Prefers the meeting link: Cal.com's own video locations read `integrations:daily` and so on. */
function locationOf(payload: CalcomPayload): string | undefined {
  const videoCallUrl = looseString.parse(payload.metadata?.videoCallUrl);
  if (payload.location?.startsWith("integrations:") && videoCallUrl) return videoCallUrl;
  return payload.location ?? videoCallUrl;
}

/**
 * Reads UTM values from `tracking`, else from `metadata`.
 * NOTE: unconfirmed. Cal.com's webhook docs list no UTM fields. These are the two places a booking's UTM values
 * may appear, and a payload with neither gives an empty utm.
 */
function utmOf(payload: CalcomPayload): BookingUtm {
  const read = (key: string) =>
    looseString.parse(payload.tracking?.[key]) ?? looseString.parse(payload.metadata?.[key]);
  return {
    source: read("utm_source"),
    medium: read("utm_medium"),
    campaign: read("utm_campaign"),
    content: read("utm_content"),
    term: read("utm_term"),
  };
}
