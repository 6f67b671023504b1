import { z } from "zod";

export type BookingProvider = "calcom" | "calendly";

export type BookingEventKind =
  | "booked"
  | "rescheduled"
  | "cancelled"
  | "reschedule_requested"
  | "no_show"
  | "meeting_started"
  | "meeting_ended"
  | "other";

export interface BookingUtm {
  source?: string;
  medium?: string;
  campaign?: string;
  content?: string;
  term?: string;
}

/**
 * One booking webhook in a provider-neutral shape. Fields a provider did not send are undefined, and `raw`
 * keeps the whole parsed body for anything not normalised here.
 */
export interface BookingEvent {
  provider: BookingProvider;
  /** Deduplication key: the same for a retried delivery, different for every distinct occurrence. */
  eventId: string;
  kind: BookingEventKind;
  /**
   * The booking after this event. For a reschedule this is the new booking, on both of Calendly's halves, so a
   * meeting keeps one identity once the caller has moved it from `previousMeetingKey`.
   */
  meetingKey: string;
  /** The booking that a reschedule replaced, when the payload names it. Both Calendly halves carry it. */
  previousMeetingKey?: string;
  /**
   * Half of a two-event reschedule, set only for Calendly. "old" is the cancellation of the previous slot, whose
   * times are in both `startsAt`/`endsAt` and `previousStartsAt`/`previousEndsAt`. "new" is the booking of the
   * new slot. Cal.com sends a reschedule as one event, so it has no halves.
   */
  rescheduleHalf?: "old" | "new";
  attendee: { email: string; name?: string; timeZone?: string };
  organiser?: { email?: string; name?: string };
  /**
   * Start and end of the booking this payload describes. Absent only where the provider sends no times, which
   * is Cal.com's no-show update and an unrecognised trigger without them.
   */
  startsAt?: Date;
  endsAt?: Date;
  /** The slot before a reschedule, when the payload gives it. */
  previousStartsAt?: Date;
  previousEndsAt?: Date;
  title?: string;
  /** A join URL or address where the provider gave one, else the provider's location label. */
  location?: string;
  utm: BookingUtm;
  cancellationReason?: string;
  /** The provider's time for the event, from the webhook envelope. */
  occurredAt: Date;
  raw: unknown;
}

export type BookingParseResult = { ok: true; event: BookingEvent } | { ok: false; error: string };

/**
 * A string field that turns a wrong type into undefined instead of failing the whole payload, because the
 * providers change field shapes between versions. Empty and blank strings count as absent.
 */
export const looseString = z
  .string()
  .nullish()
  .catch(undefined)
  .transform((value) => (value?.trim() ? value.trim() : undefined));

/**
 * Parses a provider timestamp that names its zone (Z or an offset), such as `2025-01-20T15:00:00.000000Z`.
 * Fractions beyond milliseconds are cut, because Date.parse is only specified for three digits. A time without
 * a zone would be read in the runtime's zone, so it is rejected.
 */
export function parseProviderTime(value: string | undefined): Date | undefined {
  if (!value) return undefined;

  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?)(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/i.exec(value.trim());
  if (!match) return undefined;

  const fraction = match[2] ? match[2].slice(0, 4).padEnd(4, "0") : "";
  const zone = match[3]!.toUpperCase() === "Z" ? "Z" : withColon(match[3]!);
  const time = Date.parse(`${match[1]}${fraction}${zone}`);
  return Number.isNaN(time) ? undefined : new Date(time);
}

function withColon(offset: string): string {
  return offset.includes(":") ? offset : `${offset.slice(0, 3)}:${offset.slice(3)}`;
}

/** Decodes a webhook body as UTF-8 and parses it as JSON. A failure returns an error naming the failed step. */
export function readJsonBody(
  body: string | ArrayBuffer | Uint8Array,
): { ok: true; value: unknown } | { ok: false; error: string } {
  let text: string;
  try {
    const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
    text = typeof body === "string" ? body : decoder.decode(body);
  } catch {
    return { ok: false, error: "Webhook body is not valid UTF-8." };
  }

  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, error: "Webhook body is not valid JSON." };
  }
}

/** Describes the first zod issue with its path, such as `Calendly webhook: payload is invalid (…)`. */
export function describeIssue(error: z.ZodError, prefix: string): string {
  const issue = error.issues[0];
  if (!issue) return `${prefix}: invalid payload.`;
  const path = issue.path.length > 0 ? issue.path.map(String).join(".") : "body";
  return `${prefix}: ${path} is invalid (${issue.message}).`;
}
