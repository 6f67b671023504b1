import { forms, meetings } from "@plumbline/db";
import { eq } from "drizzle-orm";
import { expect } from "vitest";
import { seedIntegration, seedPeople, seedRule } from "../support/follow-up";
import { CONTACT_FORM_FIELDS, testDatabase, type SeededFirm } from "../support/seed";
import { BOOKING_SECRET } from "./booking-webhooks";
import { cronSchedule, CRON_TIMES, formatLondon, londonTime } from "./clock";
import { SimulatedFirm, type ApiOpportunity, type ApiTimelineEntry, type QueueMode } from "./driver";
import { expectOutcome, type ExpectedOutcome } from "./expected";
import { INBOUND_TOKEN } from "./inbound-mail";
import { SIMULATED_SERVICE_LINES, type Prospect, type ScheduledStep } from "./scenario";

/** The test form's fields with the demo form's service options. */
const SIMULATED_FORM_FIELDS = CONTACT_FORM_FIELDS.map((field) =>
  field.name === "service" ? { ...field, options: Object.keys(SIMULATED_SERVICE_LINES).map((value) => ({ value, label: SIMULATED_SERVICE_LINES[value]! })) } : field,
);

/**
 * Gives a seeded firm what the script needs: a partner who owns every enquiry and writes emails, booking tools,
 * inbound mail, and the demo firm's service lines, so the demo history reads like the demo firm's own.
 */
export async function simulatedFirm(firm: SeededFirm, queueMode: QueueMode): Promise<SimulatedFirm> {
  const [partnerId] = await seedPeople(firm.firmId, [{ name: "Eleanor Hartley" }]);
  await seedRule(firm.firmId, 0, null, { userId: partnerId! });
  await testDatabase()
    .update(forms)
    .set({ fields: SIMULATED_FORM_FIELDS, serviceLines: { field: "service", values: SIMULATED_SERVICE_LINES, fallback: "General" } })
    .where(eq(forms.id, firm.formId));
  const calendly = await seedIntegration(firm.firmId, "booking", "calendly", BOOKING_SECRET);
  const calcom = await seedIntegration(firm.firmId, "booking", "calcom", BOOKING_SECRET);
  const inbound = await seedIntegration(firm.firmId, "inbound_mail", "postmark", INBOUND_TOKEN);
  return new SimulatedFirm(firm, { calendly, calcom, inbound }, queueMode, { userId: partnerId!, name: "Eleanor Hartley", email: `${partnerId}@firm.example` });
}

/**
 * Compares what the Worker stored for every prospect with the outcome the model works out from the script, as
 * soft assertions, so one failure shows every difference and every count at once.
 */
export async function expectDocumentedOutcomes(sim: SimulatedFirm, prospects: Prospect[], lastDay: number, otherFirm?: SeededFirm) {
  const cronRuns = cronSchedule(lastDay);
  const end = cronRuns.at(-1)!;
  const expected = prospects.map((prospect) => expectOutcome(prospect, cronRuns, end));
  const stored = await sim.listOpportunities();
  const timelines = new Map<string, ApiTimelineEntry[]>();
  for (const opportunity of stored) timelines.set(opportunity.id, await sim.timelineOf(opportunity.id));
  const meetingRows = await testDatabase().select().from(meetings).where(eq(meetings.firmId, sim.firm.firmId));
  const contacts = await sim.listContacts();

  // Soft assertions, so one failure shows every difference and every count at once.
  const mismatches = compareOutcomes(prospects, expected, { stored, timelines, contacts, meetingRows });
  expect.soft(mismatches, `${mismatches.length} of ${prospects.length} prospects differ from the documented rules`).toEqual([]);

  expect.soft(stored, "opportunities").toHaveLength(prospects.length);
  expect.soft(contacts, "contacts").toHaveLength(prospects.length);
  expect.soft(countBy(stored, (row) => row.stage), "opportunities by stage").toEqual(countBy(expected, (outcome) => outcome.stage));
  expect.soft(stored.filter((row) => row.stalledAt !== null).length, "stalled opportunities").toBe(expected.filter((outcome) => outcome.stalled).length);
  expect.soft(countBy(stored, (row) => row.closeReason ?? "open"), "opportunities by close reason").toEqual(countBy(expected, (outcome) => outcome.closeReason ?? "open"));
  expect.soft(meetingRows, "meetings, one per distinct booking").toHaveLength(expected.reduce((sum, outcome) => sum + outcome.meetings, 0));
  expect.soft(stored.filter((row) => row.firstResponseAt !== null).length, "opportunities with a first response").toBe(expected.filter((outcome) => outcome.firstResponseAt !== null).length);
  expect.soft(countSteps(prospects, "email"), "email steps played").toBeGreaterThan(0);

  // Independent of the model: every stored opportunity's receipts chain from "new" to its stage.
  const brokenChains = stored.flatMap((row) => receiptChainError(row, timelines.get(row.id) ?? []) ?? []);
  expect.soft(brokenChains, "stage.changed receipts").toEqual([]);

  if (!otherFirm) return;
  expect.soft(await sim.listContacts(otherFirm.apiKey), "the other firm's contacts").toEqual([]);
  expect.soft(await sim.listOpportunities(otherFirm.apiKey), "the other firm's opportunities").toEqual([]);
}

/**
 * Plays the script day by day: the 09:00 cron run, then the day's steps in time order, then the 17:00 run.
 * Steps at the same moment are sent together and the queue is drained once, before the clock moves on, so
 * the consumer handles them at the time they happened.
 */
export async function playScript(sim: SimulatedFirm, prospects: Prospect[], lastDay: number) {
  const byDay = new Map<number, Array<{ prospect: Prospect; step: ScheduledStep }>>();
  for (const prospect of prospects) {
    for (const step of prospect.steps) byDay.set(step.day, [...(byDay.get(step.day) ?? []), { prospect, step }]);
  }

  for (let day = 0; day <= lastDay; day++) {
    await sim.runCron(londonTime(day, CRON_TIMES[0]));

    const steps = (byDay.get(day) ?? []).sort((a, b) => a.step.at.getTime() - b.step.at.getTime());
    for (const moment of groupByTime(steps)) {
      const at = moment[0]!.step.at;
      sim.setClock(at);
      let queued = false;
      for (const { prospect, step } of moment) {
        if (await sim.perform(prospect, step)) queued = true;
      }
      if (queued) await sim.waitForQueue(`steps at ${formatLondon(at)}`);
    }

    await sim.runCron(londonTime(day, CRON_TIMES[1]));
  }
}

function groupByTime<T extends { step: ScheduledStep }>(items: T[]): T[][] {
  const groups: T[][] = [];
  for (const item of items) {
    const last = groups.at(-1);
    if (last && last[0]!.step.at.getTime() === item.step.at.getTime()) last.push(item);
    else groups.push([item]);
  }
  return groups;
}

interface StoredState {
  stored: ApiOpportunity[];
  timelines: Map<string, ApiTimelineEntry[]>;
  contacts: Array<{ id: string; email: string | null }>;
  meetingRows: Array<{ opportunityId: string }>;
}

/** Lists, one line per prospect, every way the stored opportunity differs from the expected outcome. */
function compareOutcomes(prospects: Prospect[], expected: ExpectedOutcome[], state: StoredState): string[] {
  const lines: string[] = [];
  for (const [index, prospect] of prospects.entries()) {
    const outcome = expected[index]!;
    const heading = `${prospect.key} "${prospect.story}" (first step ${formatLondon(prospect.steps[0]!.at)})`;

    const contact = state.contacts.find((entry) => entry.email?.toLowerCase() === prospect.email);
    const rows = state.stored.filter((row) => row.contactId === contact?.id);
    if (rows.length !== 1) {
      lines.push(`${heading}: expected 1 opportunity, found ${rows.length}`);
      continue;
    }
    const row = rows[0]!;
    const moves = (state.timelines.get(row.id) ?? []).filter((entry) => entry.type === "stage.changed").map((entry) => `${entry.data?.from}→${entry.data?.to}`);
    const meetingCount = state.meetingRows.filter((meeting) => meeting.opportunityId === row.id).length;
    const stallCount = (state.timelines.get(row.id) ?? []).filter((entry) => entry.type === "opportunity.stalled").length;

    const differences = [
      differ("stage", outcome.stage, row.stage),
      differ("stalled", outcome.stalled ? "yes" : "no", row.stalledAt === null ? "no" : `yes (since ${formatLondon(new Date(row.stalledAt))})`, (want, got) => got.startsWith(want)),
      differ("close reason", outcome.closeReason ?? "none", row.closeReason ?? "none"),
      differ("stage moves", outcome.moves.join(", ") || "none", moves.join(", ") || "none"),
      differ("meetings", String(outcome.meetings), String(meetingCount)),
      differ("stalls", String(outcome.stallEpisodes), String(stallCount)),
      differ("first response", outcome.firstResponseAt ? formatLondon(outcome.firstResponseAt) : "none", row.firstResponseAt ? formatLondon(new Date(row.firstResponseAt)) : "none"),
      differ("origin", outcome.origin, row.origin),
      differ("channel", outcome.channel, row.channel),
      differ("service line", outcome.serviceLine ?? "none", row.serviceLine ?? "none"),
    ].filter((difference): difference is string => difference !== null);
    if (differences.length > 0) lines.push(`${heading}: ${differences.join("; ")}`);
  }
  return lines;
}

function differ(what: string, want: string, got: string, same: (want: string, got: string) => boolean = (a, b) => a === b): string | null {
  return same(want, got) ? null : `${what} expected ${want}, got ${got}`;
}

/** Checks that the stage.changed receipts, oldest first, lead from "new" to the stored stage without a gap. */
function receiptChainError(row: ApiOpportunity, timeline: ApiTimelineEntry[]): string | null {
  let stage = "new";
  for (const entry of timeline.filter((item) => item.type === "stage.changed")) {
    if (entry.data?.from !== stage) return `${row.id}: a receipt moves from ${entry.data?.from} while the stage was ${stage}`;
    stage = entry.data.to ?? "?";
  }
  return stage === row.stage ? null : `${row.id}: receipts end at ${stage} but the stage is ${row.stage}`;
}

function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

function countSteps(prospects: Prospect[], kind: ScheduledStep["action"]["kind"]): number {
  return prospects.reduce((sum, prospect) => sum + prospect.steps.filter((step) => step.action.kind === kind).length, 0);
}
