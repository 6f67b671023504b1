import { describe, expect, it } from "vitest";
import { calcomMeetingKey, parseCalcomWebhook } from "../../packages/integrations/src/booking/calcom";
import { mergeCalendlyReschedule, parseCalendlyWebhook } from "../../packages/integrations/src/booking/calendly";
import { verifyCalcomSignature, verifyCalendlySignature } from "../../packages/integrations/src/booking/signatures";
import { parseProviderTime, type BookingEvent, type BookingParseResult } from "../../packages/integrations/src/booking/types";
import calcomCancelled from "../fixtures/booking/calcom-booking-cancelled.json";
import calcomCreated from "../fixtures/booking/calcom-booking-created.json";
import calcomPaid from "../fixtures/booking/calcom-booking-paid.json";
import calcomRequestReschedule from "../fixtures/booking/calcom-booking-request-reschedule.json";
import calcomRescheduled from "../fixtures/booking/calcom-booking-rescheduled.json";
import calcomMeetingEnded from "../fixtures/booking/calcom-meeting-ended.json";
import calcomNoShow from "../fixtures/booking/calcom-no-show-updated.json";
import calendlyCanceledRescheduled from "../fixtures/booking/calendly-invitee-canceled-rescheduled.json";
import calendlyCanceled from "../fixtures/booking/calendly-invitee-canceled.json";
import calendlyCreatedRescheduled from "../fixtures/booking/calendly-invitee-created-rescheduled.json";
import calendlyCreated from "../fixtures/booking/calendly-invitee-created.json";
import calendlyNoShow from "../fixtures/booking/calendly-invitee-no-show.json";

const SECRET = "test-booking-secret";
const encoder = new TextEncoder();

async function hexHmac(key: string, data: Uint8Array): Promise<string> {
  const cryptoKey = await crypto.subtle.importKey("raw", encoder.encode(key), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", cryptoKey, data));
  return [...signature].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

function calendlySigned(t: number, body: Uint8Array): Uint8Array {
  const prefix = encoder.encode(`${t}.`);
  const joined = new Uint8Array(prefix.length + body.length);
  joined.set(prefix);
  joined.set(body, prefix.length);
  return joined;
}

async function calendlyHeader(t: number, body: Uint8Array, key = SECRET): Promise<string> {
  return `t=${t},v1=${await hexHmac(key, calendlySigned(t, body))}`;
}

function tampered(body: Uint8Array): Uint8Array {
  const copy = body.slice();
  copy[10] = copy[10]! ^ 0x01;
  return copy;
}

/** Unwraps a successful parse, failing the test with the parser's error otherwise. */
function expectEvent(result: BookingParseResult): BookingEvent {
  if (!result.ok) throw new Error(`expected a parsed event, got: ${result.error}`);
  return result.event;
}

function expectError(result: BookingParseResult): string {
  if (result.ok) throw new Error(`expected a parse error, got kind ${result.event.kind}`);
  return result.error;
}

function body(fixture: unknown): string {
  return JSON.stringify(fixture);
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

const BODY = encoder.encode(body(calcomCreated));
const T = 1_737_000_000;
const AT_T = new Date(T * 1000);

describe("verifyCalcomSignature", () => {
  it("accepts a valid signature", async () => {
    const header = await hexHmac(SECRET, BODY);
    expect(await verifyCalcomSignature(BODY, header, SECRET)).toBe(true);
  });

  it("accepts an ArrayBuffer body", async () => {
    const header = await hexHmac(SECRET, BODY);
    const buffer = BODY.buffer.slice(BODY.byteOffset, BODY.byteOffset + BODY.byteLength) as ArrayBuffer;
    expect(await verifyCalcomSignature(buffer, header, SECRET)).toBe(true);
  });

  it("accepts uppercase hex", async () => {
    const header = (await hexHmac(SECRET, BODY)).toUpperCase();
    expect(await verifyCalcomSignature(BODY, header, SECRET)).toBe(true);
  });

  it("rejects a tampered byte", async () => {
    const header = await hexHmac(SECRET, BODY);
    expect(await verifyCalcomSignature(tampered(BODY), header, SECRET)).toBe(false);
  });

  it("rejects re-serialised JSON", async () => {
    const header = await hexHmac(SECRET, BODY);
    const reformatted = encoder.encode(JSON.stringify(calcomCreated, null, 2));
    expect(await verifyCalcomSignature(reformatted, header, SECRET)).toBe(false);
  });

  it("rejects the wrong secret", async () => {
    const header = await hexHmac("another-secret", BODY);
    expect(await verifyCalcomSignature(BODY, header, SECRET)).toBe(false);
  });

  it("rejects a missing header", async () => {
    expect(await verifyCalcomSignature(BODY, null, SECRET)).toBe(false);
  });

  it.each([
    ["empty", ""],
    ["not hex", "z".repeat(64)],
    ["too short", "ab".repeat(31)],
    ["too long", "ab".repeat(33)],
    ["prefixed", "sha256=" + "ab".repeat(32)],
  ])("rejects a malformed header: %s", async (_name, header) => {
    expect(await verifyCalcomSignature(BODY, header, SECRET)).toBe(false);
  });

  it("rejects an empty secret", async () => {
    const header = await hexHmac(SECRET, BODY);
    expect(await verifyCalcomSignature(BODY, header, "")).toBe(false);
  });
});

describe("verifyCalendlySignature", () => {
  it("accepts a valid signature", async () => {
    const header = await calendlyHeader(T, BODY);
    expect(await verifyCalendlySignature(BODY, header, SECRET, AT_T)).toEqual({ ok: true });
  });

  it("accepts spaces after commas", async () => {
    const header = (await calendlyHeader(T, BODY)).replace(",", ", ");
    expect(await verifyCalendlySignature(BODY, header, SECRET, AT_T)).toEqual({ ok: true });
  });

  it("accepts any matching v1 entry", async () => {
    const good = await hexHmac(SECRET, calendlySigned(T, BODY));
    const other = await hexHmac("retired-key", calendlySigned(T, BODY));
    const header = `t=${T},v1=${other},v1=${good}`;
    expect(await verifyCalendlySignature(BODY, header, SECRET, AT_T)).toEqual({ ok: true });
  });

  it("ignores unknown schemes", async () => {
    const header = `${await calendlyHeader(T, BODY)},v2=${"00".repeat(32)}`;
    expect(await verifyCalendlySignature(BODY, header, SECRET, AT_T)).toEqual({ ok: true });
  });

  it("reports a tampered byte as mismatch", async () => {
    const header = await calendlyHeader(T, BODY);
    const result = await verifyCalendlySignature(tampered(BODY), header, SECRET, AT_T);
    expect(result).toEqual({ ok: false, reason: "mismatch" });
  });

  it("reports the wrong key as mismatch", async () => {
    const header = await calendlyHeader(T, BODY, "another-key");
    expect(await verifyCalendlySignature(BODY, header, SECRET, AT_T)).toEqual({ ok: false, reason: "mismatch" });
  });

  it("reports a changed timestamp as mismatch", async () => {
    const header = (await calendlyHeader(T, BODY)).replace(`t=${T}`, `t=${T + 1}`);
    expect(await verifyCalendlySignature(BODY, header, SECRET, AT_T)).toEqual({ ok: false, reason: "mismatch" });
  });

  it("reports unmatched v1 entries as mismatch", async () => {
    const header = `t=${T},v1=${"ab".repeat(32)},v1=${"cd".repeat(32)}`;
    expect(await verifyCalendlySignature(BODY, header, SECRET, AT_T)).toEqual({ ok: false, reason: "mismatch" });
  });

  it.each([
    ["null", null],
    ["empty", ""],
    ["blank", "   "],
  ])("reports a %s header as missing", async (_name, header) => {
    expect(await verifyCalendlySignature(BODY, header, SECRET, AT_T)).toEqual({ ok: false, reason: "missing" });
  });

  it.each([
    ["no pairs", "garbage"],
    ["no timestamp", `v1=${"ab".repeat(32)}`],
    ["no signature", `t=${T}`],
    ["text timestamp", `t=soon,v1=${"ab".repeat(32)}`],
    ["two timestamps", `t=${T},t=${T},v1=${"ab".repeat(32)}`],
    ["short signature", `t=${T},v1=abcd`],
    ["non-hex signature", `t=${T},v1=${"zz".repeat(32)}`],
  ])("reports %s as malformed", async (_name, header) => {
    expect(await verifyCalendlySignature(BODY, header, SECRET, AT_T)).toEqual({ ok: false, reason: "malformed" });
  });

  it("reports an old timestamp as stale", async () => {
    const header = await calendlyHeader(T, BODY);
    const now = new Date((T + 301) * 1000);
    expect(await verifyCalendlySignature(BODY, header, SECRET, now)).toEqual({ ok: false, reason: "stale" });
  });

  it("reports a future timestamp as stale", async () => {
    const header = await calendlyHeader(T, BODY);
    const now = new Date((T - 301) * 1000);
    expect(await verifyCalendlySignature(BODY, header, SECRET, now)).toEqual({ ok: false, reason: "stale" });
  });

  it("accepts a timestamp at the tolerance edge", async () => {
    const header = await calendlyHeader(T, BODY);
    const now = new Date((T + 300) * 1000);
    expect(await verifyCalendlySignature(BODY, header, SECRET, now)).toEqual({ ok: true });
  });

  it("applies a custom tolerance", async () => {
    const header = await calendlyHeader(T, BODY);
    const now = new Date((T + 61) * 1000);
    expect(await verifyCalendlySignature(BODY, header, SECRET, now, 60)).toEqual({ ok: false, reason: "stale" });
  });

  it("reports an empty key as mismatch", async () => {
    const header = await calendlyHeader(T, BODY);
    expect(await verifyCalendlySignature(BODY, header, "", AT_T)).toEqual({ ok: false, reason: "mismatch" });
  });
});

describe("parseProviderTime", () => {
  it("reads microsecond fractions", () => {
    expect(parseProviderTime("2025-01-20T15:00:00.123456Z")?.toISOString()).toBe("2025-01-20T15:00:00.123Z");
  });

  it("reads an offset", () => {
    expect(parseProviderTime("2025-01-20T15:00:00+01:00")?.toISOString()).toBe("2025-01-20T14:00:00.000Z");
  });

  it("reads an offset without a colon", () => {
    expect(parseProviderTime("2025-01-20T15:00:00+0100")?.toISOString()).toBe("2025-01-20T14:00:00.000Z");
  });

  it("rejects a time without a zone", () => {
    expect(parseProviderTime("2025-01-20T15:00:00")).toBeUndefined();
  });

  it("rejects text", () => {
    expect(parseProviderTime("next Tuesday")).toBeUndefined();
  });
});

describe("parseCalcomWebhook", () => {
  it("parses BOOKING_CREATED", () => {
    const event = expectEvent(parseCalcomWebhook(body(calcomCreated)));
    expect(event.provider).toBe("calcom");
    expect(event.kind).toBe("booked");
    expect(event.eventId).toBe("calcom:BOOKING_CREATED:bFJeNb2uX8ANpT3JL5Ef00");
    expect(event.meetingKey).toBe("calcom:bFJeNb2uX8ANpT3JL5Ef00");
    expect(event.previousMeetingKey).toBeUndefined();
    expect(event.attendee).toEqual({ email: "jane@example.org", name: "Jane Prospect", timeZone: "Europe/London" });
    expect(event.organiser).toEqual({ email: "anna@hartleycole.example", name: "Anna Partner" });
    expect(event.startsAt?.toISOString()).toBe("2025-01-20T14:00:00.000Z");
    expect(event.endsAt?.toISOString()).toBe("2025-01-20T14:30:00.000Z");
    expect(event.title).toBe("Initial consultation between Anna Partner and Jane Prospect");
    expect(event.location).toBe("https://video.example.com/r/abc");
    expect(event.occurredAt.toISOString()).toBe("2025-01-15T09:30:00.538Z");
    expect(event.cancellationReason).toBeUndefined();
    expect(event.raw).toEqual(calcomCreated);
  });

  it("accepts bytes", () => {
    const event = expectEvent(parseCalcomWebhook(encoder.encode(body(calcomCreated))));
    expect(event.kind).toBe("booked");
  });

  it("keeps the same eventId for a retry", () => {
    const retry = clone(calcomCreated);
    retry.createdAt = "2025-01-15T09:35:00.000Z";
    const first = expectEvent(parseCalcomWebhook(body(calcomCreated)));
    const second = expectEvent(parseCalcomWebhook(body(retry)));
    expect(second.eventId).toBe(first.eventId);
  });

  it("separates seats of one booking", () => {
    const seatA = clone(calcomCreated) as Record<string, any>;
    seatA.payload.attendeeSeatId = "seat-a";
    const seatB = clone(calcomCreated) as Record<string, any>;
    seatB.payload.attendeeSeatId = "seat-b";
    const first = expectEvent(parseCalcomWebhook(body(seatA)));
    const second = expectEvent(parseCalcomWebhook(body(seatB)));
    expect(first.eventId).not.toBe(second.eventId);
  });

  it("parses BOOKING_RESCHEDULED", () => {
    const event = expectEvent(parseCalcomWebhook(body(calcomRescheduled)));
    expect(event.kind).toBe("rescheduled");
    expect(event.meetingKey).toBe("calcom:kP2mQw8RtY4uVb6nXc3ZaD");
    expect(event.previousMeetingKey).toBe("calcom:bFJeNb2uX8ANpT3JL5Ef00");
    expect(event.rescheduleHalf).toBeUndefined();
    expect(event.startsAt?.toISOString()).toBe("2025-01-21T10:00:00.000Z");
    expect(event.previousStartsAt?.toISOString()).toBe("2025-01-20T14:00:00.000Z");
    expect(event.previousEndsAt?.toISOString()).toBe("2025-01-20T14:30:00.000Z");
    expect(event.location).toBe("https://video.example.com/r/def");
    expect(event.utm).toEqual({
      source: "google",
      medium: "cpc",
      campaign: "probate-2025",
      content: undefined,
      term: undefined,
    });
  });

  it("gives the reschedule a different eventId", () => {
    const created = expectEvent(parseCalcomWebhook(body(calcomCreated)));
    const rescheduled = expectEvent(parseCalcomWebhook(body(calcomRescheduled)));
    expect(rescheduled.eventId).not.toBe(created.eventId);
  });

  it("parses BOOKING_CANCELLED", () => {
    const event = expectEvent(parseCalcomWebhook(body(calcomCancelled)));
    expect(event.kind).toBe("cancelled");
    expect(event.meetingKey).toBe("calcom:bFJeNb2uX8ANpT3JL5Ef00");
    expect(event.cancellationReason).toBe("Found a firm closer to home");
  });

  it("parses a host's reschedule request", () => {
    const event = expectEvent(parseCalcomWebhook(body(calcomRequestReschedule)));
    expect(event.kind).toBe("reschedule_requested");
    expect(event.meetingKey).toBe("calcom:bFJeNb2uX8ANpT3JL5Ef00");
    expect(event.cancellationReason).toBe("Anna is in court that afternoon");
  });

  it("parses MEETING_ENDED", () => {
    const event = expectEvent(parseCalcomWebhook(body(calcomMeetingEnded)));
    expect(event.kind).toBe("meeting_ended");
    expect(event.eventId).toBe("calcom:MEETING_ENDED:bFJeNb2uX8ANpT3JL5Ef00");
  });

  it("parses MEETING_STARTED", () => {
    const started = clone(calcomMeetingEnded);
    started.triggerEvent = "MEETING_STARTED";
    expect(expectEvent(parseCalcomWebhook(body(started))).kind).toBe("meeting_started");
  });

  it("parses BOOKING_NO_SHOW_UPDATED", () => {
    const event = expectEvent(parseCalcomWebhook(body(calcomNoShow)));
    expect(event.kind).toBe("no_show");
    expect(event.meetingKey).toBe("calcom:bFJeNb2uX8ANpT3JL5Ef00");
    expect(event.attendee.email).toBe("jane@example.org");
    expect(event.startsAt).toBeUndefined();
    expect(event.organiser).toBeUndefined();
    expect(event.eventId).toBe("calcom:BOOKING_NO_SHOW_UPDATED:bFJeNb2uX8ANpT3JL5Ef00:2025-01-20T14:45:00.000Z");
  });

  it("reads a cleared no-show as other", () => {
    const cleared = clone(calcomNoShow);
    cleared.payload.attendees[0]!.noShow = false;
    cleared.createdAt = "2025-01-20T15:00:00.000Z";
    const event = expectEvent(parseCalcomWebhook(body(cleared)));
    expect(event.kind).toBe("other");
    expect(event.eventId).not.toBe(expectEvent(parseCalcomWebhook(body(calcomNoShow))).eventId);
  });

  it("reads an unhandled trigger as other", () => {
    const event = expectEvent(parseCalcomWebhook(body(calcomPaid)));
    expect(event.kind).toBe("other");
    expect(event.eventId).toBe("calcom:BOOKING_PAID:bFJeNb2uX8ANpT3JL5Ef00");
  });

  it("reads an unknown trigger as other", () => {
    const future = clone(calcomCreated);
    future.triggerEvent = "BOOKING_TELEPORTED";
    const event = expectEvent(parseCalcomWebhook(body(future)));
    expect(event.kind).toBe("other");
    expect(event.eventId).toBe(`calcom:BOOKING_TELEPORTED:bFJeNb2uX8ANpT3JL5Ef00:${future.createdAt}`);
  });

  it("tolerates unknown fields", () => {
    const extended = clone(calcomCreated) as Record<string, any>;
    extended.apiVersion = "2099-01-01";
    extended.payload.brandNewField = { nested: [1, 2, 3] };
    extended.payload.attendees[0].phoneNumber = "+44 20 7946 0000";
    expect(expectEvent(parseCalcomWebhook(body(extended))).kind).toBe("booked");
  });

  it("tolerates changed field shapes", () => {
    const changed = clone(calcomCreated) as Record<string, any>;
    changed.payload.location = { type: "daily", url: "https://video.example.com/r/abc" };
    changed.payload.organizer = "anna@hartleycole.example";
    changed.payload.metadata = "not an object";
    changed.payload.title = 42;
    const event = expectEvent(parseCalcomWebhook(body(changed)));
    expect(event.location).toBeUndefined();
    expect(event.organiser).toBeUndefined();
    expect(event.title).toBeUndefined();
    expect(event.attendee.email).toBe("jane@example.org");
  });

  it("falls back to the form's email answer", () => {
    const formOnly = clone(calcomCreated) as Record<string, any>;
    formOnly.payload.attendees = [];
    const event = expectEvent(parseCalcomWebhook(body(formOnly)));
    expect(event.attendee.email).toBe("jane@example.org");
    expect(event.attendee.name).toBe("Jane Prospect");
  });

  it("lower-cases the attendee email", () => {
    const shouty = clone(calcomCreated);
    shouty.payload.attendees[0]!.email = "Jane@Example.ORG";
    expect(expectEvent(parseCalcomWebhook(body(shouty))).attendee.email).toBe("jane@example.org");
  });

  it("rejects a payload without an attendee email", () => {
    const anonymous = clone(calcomCreated) as Record<string, any>;
    delete anonymous.payload.attendees[0].email;
    delete anonymous.payload.responses.email;
    expect(expectError(parseCalcomWebhook(body(anonymous)))).toContain("no attendee email");
  });

  it("rejects a booking without times", () => {
    const timeless = clone(calcomCreated) as Record<string, any>;
    delete timeless.payload.startTime;
    expect(expectError(parseCalcomWebhook(body(timeless)))).toContain("startTime");
  });

  it("rejects a payload without a uid", () => {
    const anonymous = clone(calcomCreated) as Record<string, any>;
    delete anonymous.payload.uid;
    expect(expectError(parseCalcomWebhook(body(anonymous)))).toContain("no booking uid");
  });

  it("rejects a missing triggerEvent", () => {
    const bare = clone(calcomCreated) as Record<string, any>;
    delete bare.triggerEvent;
    expect(expectError(parseCalcomWebhook(body(bare)))).toContain("triggerEvent");
  });

  it("rejects a createdAt without a zone", () => {
    const local = clone(calcomCreated);
    local.createdAt = "2025-01-15T09:30:00";
    expect(expectError(parseCalcomWebhook(body(local)))).toContain("createdAt");
  });

  it("rejects invalid JSON", () => {
    expect(expectError(parseCalcomWebhook("{not json"))).toBe("Webhook body is not valid JSON.");
  });

  it("rejects a JSON array", () => {
    expect(expectError(parseCalcomWebhook("[]"))).toContain("Cal.com webhook");
  });

  it("builds prefixed meeting keys", () => {
    expect(calcomMeetingKey("abc")).toBe("calcom:abc");
  });
});

describe("parseCalendlyWebhook", () => {
  it("parses invitee.created", () => {
    const event = expectEvent(parseCalendlyWebhook(body(calendlyCreated)));
    expect(event.provider).toBe("calendly");
    expect(event.kind).toBe("booked");
    expect(event.eventId).toBe("calendly:invitee.created:https://api.calendly.com/scheduled_events/EV0001/invitees/INV0001");
    expect(event.meetingKey).toBe("https://api.calendly.com/scheduled_events/EV0001/invitees/INV0001");
    expect(event.previousMeetingKey).toBeUndefined();
    expect(event.rescheduleHalf).toBeUndefined();
    expect(event.attendee).toEqual({ email: "jane@example.org", name: "Jane Prospect", timeZone: "Europe/London" });
    expect(event.organiser).toEqual({ email: "anna@hartleycole.example", name: undefined });
    expect(event.startsAt?.toISOString()).toBe("2025-01-20T15:00:00.000Z");
    expect(event.endsAt?.toISOString()).toBe("2025-01-20T15:30:00.000Z");
    expect(event.title).toBe("Discovery call");
    expect(event.location).toBe("https://meet.example.com/abc");
    expect(event.utm).toEqual({
      source: "newsletter",
      medium: "email",
      campaign: undefined,
      content: undefined,
      term: undefined,
    });
    expect(event.occurredAt.toISOString()).toBe("2025-01-15T18:00:00.000Z");
    expect(event.raw).toEqual(calendlyCreated);
  });

  it("parses a plain invitee.canceled", () => {
    const event = expectEvent(parseCalendlyWebhook(body(calendlyCanceled)));
    expect(event.kind).toBe("cancelled");
    expect(event.meetingKey).toBe("https://api.calendly.com/scheduled_events/EV0001/invitees/INV0001");
    expect(event.cancellationReason).toBe("No longer needed");
    expect(event.eventId).toBe("calendly:invitee.canceled:https://api.calendly.com/scheduled_events/EV0001/invitees/INV0001");
  });

  it("parses the old half of a reschedule", () => {
    const event = expectEvent(parseCalendlyWebhook(body(calendlyCanceledRescheduled)));
    expect(event.kind).toBe("rescheduled");
    expect(event.rescheduleHalf).toBe("old");
    expect(event.meetingKey).toBe("https://api.calendly.com/scheduled_events/EV0002/invitees/INV0002");
    expect(event.previousMeetingKey).toBe("https://api.calendly.com/scheduled_events/EV0001/invitees/INV0001");
    expect(event.previousStartsAt?.toISOString()).toBe("2025-01-20T15:00:00.000Z");
    expect(event.cancellationReason).toBe("Clash with school run");
  });

  it("parses the new half of a reschedule", () => {
    const event = expectEvent(parseCalendlyWebhook(body(calendlyCreatedRescheduled)));
    expect(event.kind).toBe("rescheduled");
    expect(event.rescheduleHalf).toBe("new");
    expect(event.meetingKey).toBe("https://api.calendly.com/scheduled_events/EV0002/invitees/INV0002");
    expect(event.previousMeetingKey).toBe("https://api.calendly.com/scheduled_events/EV0001/invitees/INV0001");
    expect(event.startsAt?.toISOString()).toBe("2025-01-22T09:00:00.000Z");
    expect(event.previousStartsAt).toBeUndefined();
  });

  it("gives the halves different eventIds", () => {
    const oldHalf = expectEvent(parseCalendlyWebhook(body(calendlyCanceledRescheduled)));
    const newHalf = expectEvent(parseCalendlyWebhook(body(calendlyCreatedRescheduled)));
    expect(oldHalf.eventId).not.toBe(newHalf.eventId);
  });

  it("gives the halves the same keys", () => {
    const oldHalf = expectEvent(parseCalendlyWebhook(body(calendlyCanceledRescheduled)));
    const newHalf = expectEvent(parseCalendlyWebhook(body(calendlyCreatedRescheduled)));
    expect(oldHalf.meetingKey).toBe(newHalf.meetingKey);
    expect(oldHalf.previousMeetingKey).toBe(newHalf.previousMeetingKey);
  });

  it("old half without new_invitee", () => {
    const partial = clone(calendlyCanceledRescheduled) as Record<string, any>;
    delete partial.payload.new_invitee;
    const event = expectEvent(parseCalendlyWebhook(body(partial)));
    expect(event.kind).toBe("rescheduled");
    expect(event.meetingKey).toBe("https://api.calendly.com/scheduled_events/EV0001/invitees/INV0001");
    expect(event.previousMeetingKey).toBe("https://api.calendly.com/scheduled_events/EV0001/invitees/INV0001");
  });

  it("parses invitee_no_show.created", () => {
    const event = expectEvent(parseCalendlyWebhook(body(calendlyNoShow)));
    expect(event.kind).toBe("no_show");
    expect(event.meetingKey).toBe("https://api.calendly.com/scheduled_events/EV0001/invitees/INV0001");
    expect(event.eventId).toBe("calendly:invitee_no_show.created:https://api.calendly.com/invitee_no_shows/NS0001");
  });

  it("reads invitee_no_show.deleted as other", () => {
    const removed = clone(calendlyNoShow) as Record<string, any>;
    removed.event = "invitee_no_show.deleted";
    expect(expectEvent(parseCalendlyWebhook(body(removed))).kind).toBe("other");
  });

  it("reads an unknown event as other", () => {
    const future = clone(calendlyCreated);
    future.event = "invitee.teleported";
    const event = expectEvent(parseCalendlyWebhook(body(future)));
    expect(event.kind).toBe("other");
    expect(event.eventId).toContain(future.created_at);
  });

  it("tolerates unknown fields", () => {
    const extended = clone(calendlyCreated) as Record<string, any>;
    extended.payload.brand_new_field = { nested: true };
    extended.payload.scheduled_event.meeting_notes_html = "<p>Bring ID</p>";
    extended.webhook_version = 3;
    expect(expectEvent(parseCalendlyWebhook(body(extended))).kind).toBe("booked");
  });

  it("tolerates changed field shapes", () => {
    const changed = clone(calendlyCreated) as Record<string, any>;
    changed.payload.tracking = "utm_source=newsletter";
    changed.payload.scheduled_event.location = "Room 2";
    changed.payload.scheduled_event.event_memberships = [{ user_email: 5 }];
    const event = expectEvent(parseCalendlyWebhook(body(changed)));
    expect(event.utm.source).toBeUndefined();
    expect(event.location).toBeUndefined();
    expect(event.organiser).toBeUndefined();
  });

  it("reads a physical location", () => {
    const inPerson = clone(calendlyCreated) as Record<string, any>;
    inPerson.payload.scheduled_event.location = { type: "physical", location: "12 Example Street, Leeds" };
    expect(expectEvent(parseCalendlyWebhook(body(inPerson))).location).toBe("12 Example Street, Leeds");
  });

  it("joins first and last names", () => {
    const split = clone(calendlyCreated) as Record<string, any>;
    delete split.payload.name;
    expect(expectEvent(parseCalendlyWebhook(body(split))).attendee.name).toBe("Jane Prospect");
  });

  it("rejects a payload without an email", () => {
    const anonymous = clone(calendlyCreated) as Record<string, any>;
    delete anonymous.payload.email;
    expect(expectError(parseCalendlyWebhook(body(anonymous)))).toContain("no attendee email");
  });

  it("rejects a payload without a uri", () => {
    const anonymous = clone(calendlyCreated) as Record<string, any>;
    delete anonymous.payload.uri;
    expect(expectError(parseCalendlyWebhook(body(anonymous)))).toContain("no invitee uri");
  });

  it("rejects a booking without times", () => {
    const timeless = clone(calendlyCreated) as Record<string, any>;
    delete timeless.payload.scheduled_event;
    expect(expectError(parseCalendlyWebhook(body(timeless)))).toContain("start_time");
  });

  it("rejects a missing payload", () => {
    const bare = clone(calendlyCreated) as Record<string, any>;
    delete bare.payload;
    expect(expectError(parseCalendlyWebhook(body(bare)))).toContain("payload");
  });

  it("rejects invalid UTF-8", () => {
    const bytes = new Uint8Array([0x7b, 0xff, 0x7d]);
    expect(expectError(parseCalendlyWebhook(bytes))).toBe("Webhook body is not valid UTF-8.");
  });
});

describe("mergeCalendlyReschedule", () => {
  const oldHalf = () => expectEvent(parseCalendlyWebhook(body(calendlyCanceledRescheduled)));
  const newHalf = () => expectEvent(parseCalendlyWebhook(body(calendlyCreatedRescheduled)));

  it("merges old then new", () => {
    const merged = mergeCalendlyReschedule(oldHalf(), newHalf());
    expect(merged?.kind).toBe("rescheduled");
    expect(merged?.rescheduleHalf).toBeUndefined();
    expect(merged?.meetingKey).toBe("https://api.calendly.com/scheduled_events/EV0002/invitees/INV0002");
    expect(merged?.previousMeetingKey).toBe("https://api.calendly.com/scheduled_events/EV0001/invitees/INV0001");
    expect(merged?.startsAt?.toISOString()).toBe("2025-01-22T09:00:00.000Z");
    expect(merged?.previousStartsAt?.toISOString()).toBe("2025-01-20T15:00:00.000Z");
    expect(merged?.cancellationReason).toBe("Clash with school run");
    expect(merged?.occurredAt.toISOString()).toBe("2025-01-16T12:00:01.000Z");
  });

  it("gives the same result in either order", () => {
    expect(mergeCalendlyReschedule(newHalf(), oldHalf())).toEqual(mergeCalendlyReschedule(oldHalf(), newHalf()));
  });

  it("refuses two events of one half", () => {
    expect(mergeCalendlyReschedule(newHalf(), newHalf())).toBeUndefined();
  });

  it("refuses halves of different reschedules", () => {
    const other = newHalf();
    other.previousMeetingKey = "https://api.calendly.com/scheduled_events/EV0009/invitees/INV0009";
    expect(mergeCalendlyReschedule(oldHalf(), other)).toBeUndefined();
  });

  it("refuses a plain booking", () => {
    const booked = expectEvent(parseCalendlyWebhook(body(calendlyCreated)));
    expect(mergeCalendlyReschedule(oldHalf(), booked)).toBeUndefined();
  });
});
