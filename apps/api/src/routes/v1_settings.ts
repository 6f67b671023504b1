import { createWorkingCalendar, DEFAULT_STALL_DAYS, normaliseEmail, readClosedDate, WorkingTimeError } from "@plumbline/core";
import {
  findFirmMemberIds,
  findFollowUpSettings,
  updateFollowUpSettings,
  type FollowUpSettings,
  type FollowUpSettingsChanges,
  type WorkingDay,
} from "@plumbline/db";
import type { Context, Hono } from "hono";
import { isSupportedCountry } from "libphonenumber-js/min";
import { z } from "zod";
import type { HonoEnv } from "../context";
import { ApiError, notFound } from "../errors";
import { requireFirm } from "../middleware/firm-access";

// Every message below is the rest of a sentence that starts with the field's path, such as
// "responseTargetMinutes must be a whole number from 1 to 10080."

/**
 * Builds a JSON object schema that rejects keys it does not define, so a misspelt setting is reported instead
 * of being silently ignored. The message lists the keys it accepts.
 */
export function strictObject<Shape extends z.ZodRawShape>(shape: Shape) {
  const known = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (issue) => (issue.code === "unrecognized_keys" ? `accepts only these fields: ${known}` : "must be a JSON object"),
  });
}

/** Builds a whole-number schema with one message for every way the value can be wrong. */
export function wholeNumber(min: number, max: number) {
  const message = `must be a whole number from ${min} to ${max}`;
  return z.number({ error: message }).int({ error: message }).min(min, { error: message }).max(max, { error: message });
}

/** Words an issue that its schema gave no message, as the rest of a sentence starting with the field's path. */
function fallbackMessage(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return `must be ${describeType(issue.expected)}`;
    case "too_small":
      return `must have at least ${String(issue.minimum)} ${issue.origin === "string" ? "characters" : "entries"}`;
    case "too_big":
      return `must have at most ${String(issue.maximum)} ${issue.origin === "string" ? "characters" : "entries"}`;
    case "invalid_value":
      return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(", ")}`;
    default:
      return "is invalid";
  }
}

function describeType(expected: string): string {
  const descriptions: Record<string, string> = {
    string: "text",
    number: "a number",
    int: "a whole number",
    boolean: "true or false",
    array: "a list",
    object: "a JSON object",
    null: "null",
  };
  return descriptions[expected] ?? expected;
}

interface FieldProblem {
  field: string;
  message: string;
  unknownKey: boolean;
}

function describeIssue(issue: z.core.$ZodIssue): FieldProblem {
  const path = issue.path.map(String).join(".");
  const label = path || "The request body";

  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys.map((key) => `"${key}"`).join(", ");
    const noun = issue.keys.length === 1 ? "field" : "fields";
    return {
      field: path ? `${path}.${issue.keys[0]}` : issue.keys[0]!,
      message: `${label} has the unknown ${noun} ${keys}. It ${issue.message}.`,
      unknownKey: true,
    };
  }

  // reportInput leaves `input` out when the key was absent, which is the one case worth its own wording.
  if (issue.code === "invalid_type" && issue.input === undefined) {
    return { field: path || "body", message: `${label} is required.`, unknownKey: false };
  }
  return { field: path || "body", message: `${label} ${issue.message}.`, unknownKey: false };
}

/**
 * Reads the request's JSON body and validates it. Throws a 400 error when it is not JSON, and otherwise a 422 error
 * naming the first invalid field. `details.issues` lists every problem, so a form can mark all its fields at once.
 */
export async function parseJsonBody<T extends z.ZodType>(c: Context<HonoEnv>, schema: T): Promise<z.infer<T>> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new ApiError("invalid_request", "The request body must be JSON, sent with Content-Type: application/json.");
  }

  const result = schema.safeParse(body, { reportInput: true, error: fallbackMessage });
  if (result.success) return result.data;

  const problems = result.error.issues.map(describeIssue);
  // A misspelt key also leaves the real key missing, and the unknown one is the clearer thing to report.
  const first = problems.find((problem) => problem.unknownKey) ?? problems[0]!;
  throw new ApiError("validation_failed", first.message, {
    field: first.field,
    details: { issues: problems.map(({ field, message }) => ({ field, message })) },
  });
}

/** Rejects with 422 unless every listed user is a member of this firm. Another firm's member counts as unknown. */
export async function requireFirmMembers(c: Context<HonoEnv>, references: ReadonlyArray<{ field: string; userId: string }>): Promise<void> {
  if (references.length === 0) return;
  const members = await findFirmMemberIds(c.get("services").db, c.get("firmId"), references.map((reference) => reference.userId));
  const missing = references.find((reference) => !members.has(reference.userId));
  if (missing) {
    throw new ApiError("validation_failed", `${missing.field} names user ${missing.userId}, who is not a member of this firm.`, { field: missing.field });
  }
}

/** Plumbline generates short user ids, so 64 characters bounds what a lookup must match. */
export const userIdSchema = z.string({ error: "must be a user id" }).trim().min(1, { error: "must be a user id" }).max(64, { error: "must be a user id" });

const clockTime = z.string({ error: 'must be a time as "HH:MM", such as "09:00"' });

const workingDaySchema = strictObject({
  day: z.number({ error: "must be a weekday number from 1 (Monday) to 7 (Sunday)" }),
  start: clockTime,
  end: clockTime,
});

/** Four opening ranges a day covers a split day with a long lunch and an evening clinic, with room to spare. */
const MAX_WORKING_RANGES = 28;
const MAX_CLOSED_DATES = 200;

/** Body of `PATCH /v1/settings/follow-up`: every key is optional, and only the keys sent change. */
const patchSchema = strictObject({
  timeZone: z.string({ error: "must be an IANA time zone name such as Europe/London" }).max(64, { error: "must be an IANA time zone name such as Europe/London" }).optional(),
  workingHours: z
    .array(workingDaySchema, { error: "must be a list of { day, start, end }" })
    .min(1, { error: "must have at least one day, because without working hours no response can fall due" })
    .max(MAX_WORKING_RANGES, { error: `must have at most ${MAX_WORKING_RANGES} entries` })
    .optional(),
  closedDates: z
    .array(z.string({ error: 'must be dates as "DD/MM/YYYY" or "YYYY-MM-DD"' }), { error: 'must be a list of dates as "DD/MM/YYYY" or "YYYY-MM-DD"' })
    .max(MAX_CLOSED_DATES, { error: `must have at most ${MAX_CLOSED_DATES} dates, so remove dates that have passed` })
    .optional(),
  responseTargetMinutes: wholeNumber(1, 10_080).optional(),
  reminderIntervalMinutes: wholeNumber(5, 10_080).optional(),
  remindersBeforeEscalation: wholeNumber(0, 10).optional(),
  fallbackOwnerUserId: userIdSchema.nullable().optional(),
  escalationUserId: userIdSchema.nullable().optional(),
  senderEmail: z.string({ error: "must be an email address or null" }).max(320, { error: "must be an email address of at most 254 characters" }).nullable().optional(),
  senderName: z.string({ error: "must be text or null" }).max(100, { error: "must be at most 100 characters" }).nullable().optional(),
  defaultPhoneRegion: z.string({ error: "must be a two-letter ISO 3166 country code such as GB" }).optional(),
  stallDays: z
    .partialRecord(z.enum(["new", "acknowledged", "in_conversation", "meeting_booked", "meeting_held", "proposal_sent"]), wholeNumber(1, 365), {
      error: "must map open stages (new, acknowledged, in_conversation, meeting_booked, meeting_held, proposal_sent) to whole days from 1 to 365",
    })
    .optional(),
  closeAsLostDays: wholeNumber(7, 730).optional(),
});

type SettingsPatch = z.infer<typeof patchSchema>;

/** Control characters, line breaks and bidirectional overrides, none of which belong in an email's From name. */
const NOT_IN_SENDER_NAME = /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;

/** IANA names start with a letter ("UTC", "Europe/London"). Intl also accepts offsets such as "+01:00", which ignore summer time. */
const IANA_NAME = /^[A-Za-z][A-Za-z0-9_+\-/]*$/;

function invalid(field: string, message: string): ApiError {
  return new ApiError("validation_failed", message, { field });
}

/** Validates a time zone and returns its canonical spelling, such as "Europe/London" for "europe/london". */
function canonicalTimeZone(value: string): string {
  const message = `timeZone "${value}" is not an IANA time zone name. Use a name such as Europe/London.`;
  if (!IANA_NAME.test(value)) throw invalid("timeZone", message);
  try {
    createWorkingCalendar({ timeZone: value, workingHours: [] });
  } catch (error) {
    if (error instanceof WorkingTimeError) throw invalid("timeZone", message);
    throw error;
  }
  return new Intl.DateTimeFormat("en-GB", { timeZone: value }).resolvedOptions().timeZone;
}

/**
 * Checks working hours or closed dates with the same calendar the due-date calculator builds, so anything stored
 * here can be used there. The calendar's message names the entry, such as `workingHours[2].end`, and the field
 * is read from it so a form can mark that entry.
 */
function checkCalendarPart(field: "workingHours" | "closedDates", input: Pick<Parameters<typeof createWorkingCalendar>[0], "workingHours" | "closedDates">) {
  try {
    createWorkingCalendar({ timeZone: "UTC", ...input });
  } catch (error) {
    if (!(error instanceof WorkingTimeError)) throw error;
    const entry = /^Invalid (\w+)\[(\d+)\](?:\.(\w+))?/.exec(error.message);
    const path = entry ? [entry[1], entry[2], entry[3]].filter(Boolean).join(".") : field;
    throw invalid(path, `${error.message}.`);
  }
}

/**
 * Reads one typed closed date, ISO or UK day-first, as "YYYY-MM-DD". The error names the date as typed, so a person
 * can find it without counting entries; the field still points a form at the entry.
 */
function closedDateToIso(value: string, index: number): string {
  const result = readClosedDate(value);
  if ("date" in result) return result.date;
  const problem = result.error === "no_such_date" ? "is not a real date" : "is not a date in a form we can read";
  throw invalid(`closedDates.${index}`, `Closed date "${value}" ${problem}. Enter it as DD/MM/YYYY, such as 25/12/2026, or as YYYY-MM-DD.`);
}

/** Turns a validated patch into column values, checking what zod cannot: calendars, addresses and memberships. */
async function toChanges(c: Context<HonoEnv>, patch: SettingsPatch): Promise<FollowUpSettingsChanges> {
  const changes: FollowUpSettingsChanges = {};

  if (patch.timeZone !== undefined) changes.timeZone = canonicalTimeZone(patch.timeZone.trim());

  if (patch.workingHours !== undefined) {
    checkCalendarPart("workingHours", { workingHours: patch.workingHours });
    // The calendar accepted every entry, so each day is a whole number from 1 to 7.
    changes.workingHours = patch.workingHours.map(({ day, start, end }) => ({ day: day as WorkingDay["day"], start, end }));
  }

  if (patch.closedDates !== undefined) {
    const closedDates = patch.closedDates.map(closedDateToIso);
    checkCalendarPart("closedDates", { workingHours: [], closedDates });
    changes.closedDates = [...new Set(closedDates)].sort();
  }

  if (patch.responseTargetMinutes !== undefined) changes.responseTargetMinutes = patch.responseTargetMinutes;
  if (patch.reminderIntervalMinutes !== undefined) changes.reminderIntervalMinutes = patch.reminderIntervalMinutes;
  if (patch.remindersBeforeEscalation !== undefined) changes.remindersBeforeEscalation = patch.remindersBeforeEscalation;
  if (patch.stallDays !== undefined) changes.stallDays = patch.stallDays as Record<string, number>;
  if (patch.closeAsLostDays !== undefined) changes.closeAsLostDays = patch.closeAsLostDays;

  const people: Array<{ field: string; userId: string }> = [];
  if (patch.fallbackOwnerUserId) people.push({ field: "fallbackOwnerUserId", userId: patch.fallbackOwnerUserId });
  if (patch.escalationUserId) people.push({ field: "escalationUserId", userId: patch.escalationUserId });
  await requireFirmMembers(c, people);
  if (patch.fallbackOwnerUserId !== undefined) changes.fallbackOwnerUserId = patch.fallbackOwnerUserId;
  if (patch.escalationUserId !== undefined) changes.escalationUserId = patch.escalationUserId;

  if (patch.senderEmail !== undefined) changes.senderEmail = patch.senderEmail === null ? null : senderAddress(patch.senderEmail);
  if (patch.senderName !== undefined) changes.senderName = patch.senderName === null ? null : senderName(patch.senderName);

  if (patch.defaultPhoneRegion !== undefined) {
    const region = patch.defaultPhoneRegion.trim().toUpperCase();
    // Phone numbers are read with libphonenumber, so the region must be one it has numbering rules for.
    if (!/^[A-Z]{2}$/.test(region) || !isSupportedCountry(region)) {
      throw invalid("defaultPhoneRegion", `defaultPhoneRegion "${patch.defaultPhoneRegion}" is not a two-letter ISO 3166 country code with phone numbering rules. Use a code such as GB or IE.`);
    }
    changes.defaultPhoneRegion = region;
  }

  return changes;
}

/**
 * Validates the sender address and stores its domain in ASCII (punycode), the form mail providers verify
 * domains in. The local part keeps its case, since some servers treat it as significant.
 */
function senderAddress(raw: string): string {
  const normalised = normaliseEmail(raw);
  if (normalised === "too_long") throw invalid("senderEmail", "senderEmail must be an email address of at most 254 characters.");
  if (normalised === "invalid") throw invalid("senderEmail", "senderEmail is not a valid email address. Use an address such as enquiries@firm.example.");
  const local = normalised.display.slice(0, normalised.display.lastIndexOf("@"));
  return `${local}@${normalised.domain}`;
}

function senderName(raw: string): string | null {
  if (NOT_IN_SENDER_NAME.test(raw)) {
    throw invalid("senderName", "senderName must not contain line breaks or other control characters.");
  }
  const name = raw.normalize("NFC").trim();
  // An empty name means "use the firm's name", which null already means.
  return name === "" ? null : name;
}

function presentSettings(settings: FollowUpSettings) {
  return {
    timeZone: settings.timeZone,
    workingHours: settings.workingHours,
    closedDates: settings.closedDates,
    responseTargetMinutes: settings.responseTargetMinutes,
    reminderIntervalMinutes: settings.reminderIntervalMinutes,
    remindersBeforeEscalation: settings.remindersBeforeEscalation,
    fallbackOwnerUserId: settings.fallbackOwnerUserId,
    escalationUserId: settings.escalationUserId,
    senderEmail: settings.senderEmail,
    senderName: settings.senderName,
    defaultPhoneRegion: settings.defaultPhoneRegion,
    stallDays: { ...DEFAULT_STALL_DAYS, ...settings.stallDays },
    closeAsLostDays: settings.closeAsLostDays,
    updatedAt: settings.updatedAt.toISOString(),
  };
}

/**
 * `GET /v1/settings/follow-up` returns how the firm follows up enquiries: hours, targets, reminders, who takes
 * unrouted enquiries and escalations, and the sender of its emails. `PATCH` changes the keys it is sent.
 */
export function registerSettingsRoutes(app: Hono<HonoEnv>) {
  app.get("/v1/settings/follow-up", requireFirm("viewer"), async (c) => {
    const settings = await findFollowUpSettings(c.get("services").db, c.get("firmId"));
    if (!settings) throw notFound("Firm");
    return c.json(presentSettings(settings));
  });

  app.patch("/v1/settings/follow-up", requireFirm("admin"), async (c) => {
    const services = c.get("services");
    const firmId = c.get("firmId");
    const patch = await parseJsonBody(c, patchSchema);

    const changes = await toChanges(c, patch);
    const changed = Object.keys(changes);
    if (changed.length > 0) {
      await updateFollowUpSettings(services.db, firmId, changes, new Date());
      services.logger.info("settings.follow_up_updated", { firmId, fields: changed.join(",") });
    }

    const settings = await findFollowUpSettings(services.db, firmId);
    if (!settings) throw notFound("Firm");
    return c.json(presentSettings(settings));
  });
}
