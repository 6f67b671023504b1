import { meetings, opportunities } from "@plumbline/db";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { submitJson } from "../support/api";
import { seedIntegration, seedPeople } from "../support/follow-up";
import { seedTwoFirms, testDatabase, type SeededFirm } from "../support/seed";
import { BOOKING_SECRET, calendlyBooked, calendlyInvitee, sendCalendly } from "./booking-webhooks";
import { cronSchedule, CRON_TIMES, formatLondon, londonTime } from "./clock";
import { SimulatedFirm, type ApiOpportunity, type ApiTimelineEntry, type QueueMode } from "./driver";
import { INBOUND_TOKEN } from "./inbound-mail";
import { expectOutcome, type ExpectedOutcome } from "./expected";
import { castProspects, LAST_DAY, scriptErrors, type Prospect, type ScheduledStep } from "./scenario";

/** Changing the seed recasts the firm: other names, channels and start days for the same plots. */
const SEED = 20_260_105;

/**
 * The four-month run hands queue work straight to the Worker's queue handler. With "real", each of its 75 or so
 * queue round trips waits about a second for Miniflare's batch timeout. On a 2-core machine the test then took
 * about 95 s instead of about 12 s. The clock test below still goes through the real queue.
 */
const QUEUE_MODE: QueueMode = "direct";

/** Generous, so that a slow machine running "real" mode still finishes. */
const SIMULATION_TIMEOUT_MS = 180_000;

afterEach(() => {
  vi.useRealTimers();
});

describe("simulated firm", () => {
  it("clock reaches Worker and queue consumer", async () => {
    const [firm] = await seedTwoFirms();
    const calendly = await seedIntegration(firm.firmId, "booking", "calendly", BOOKING_SECRET);
    vi.useFakeTimers({ toFake: ["Date"] });
    const sim = new SimulatedFirm(firm, { calendly, calcom: "unused" }, "real");
    const attendee = { name: "Clock Check", email: "clock.check@prospect.example" };

    const enquiredAt = londonTime(0, "10:00");
    sim.setClock(enquiredAt);
    const response = await submitJson(firm.formKey, { submissionId: "sim-clock-check", fields: attendee });
    expect(response.status).toBe(201);
    await sim.waitForQueue("clock check enquiry");

    const [enquired] = await testDatabase().select().from(opportunities).where(eq(opportunities.firmId, firm.firmId));
    expect(enquired?.createdAt.toISOString()).toBe(enquiredAt.toISOString());
    // The acknowledgement is sent by the queue consumer, so its stage change shows the consumer's clock.
    expect(enquired?.stage).toBe("acknowledged");
    expect(enquired?.stageEnteredAt?.toISOString()).toBe(enquiredAt.toISOString());

    const bookedAt = londonTime(1, "12:00");
    sim.setClock(bookedAt);
    const slot = { startsAt: londonTime(5, "10:00"), sentAt: bookedAt };
    const booking = await sendCalendly(calendly, calendlyBooked(calendlyInvitee("clock-check"), attendee, slot));
    expect(booking.status).toBe(200);
    await sim.waitForQueue("clock check booking");

    const [booked] = await testDatabase().select().from(opportunities).where(eq(opportunities.firmId, firm.firmId));
    expect(booked?.stage).toBe("meeting_booked");
    expect(booked?.stageEnteredAt?.toISOString()).toBe(bookedAt.toISOString());
    expect(sim.problems).toEqual([]);
  });

  it(
    "four months end in documented stages",
    async () => {
      const prospects = castProspects(SEED);
      expect(scriptErrors(prospects)).toEqual([]);

      const [firm, otherFirm] = await seedTwoFirms();
      const sim = await simulatedFirm(firm);
      vi.useFakeTimers({ toFake: ["Date"] });

      await playScript(sim, prospects);
      expect(sim.problems).toEqual([]);

      const cronRuns = cronSchedule(LAST_DAY);
      const end = cronRuns.at(-1)!;
      const expected = prospects.map((prospect) => expectOutcome(prospect, cronRuns, end));
      const stored = await sim.listOpportunities();
      const timelines = new Map<string, ApiTimelineEntry[]>();
      for (const opportunity of stored) timelines.set(opportunity.id, await sim.timelineOf(opportunity.id));
      const meetingRows = await testDatabase().select().from(meetings).where(eq(meetings.firmId, firm.firmId));
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

      expect.soft(await sim.listContacts(otherFirm.apiKey), "the other firm's contacts").toEqual([]);
      expect.soft(await sim.listOpportunities(otherFirm.apiKey), "the other firm's opportunities").toEqual([]);
    },
    SIMULATION_TIMEOUT_MS,
  );
});

/** Gives a seeded firm what the script needs: a partner who writes emails, booking tools and inbound mail. */
async function simulatedFirm(firm: SeededFirm): Promise<SimulatedFirm> {
  const [partnerId] = await seedPeople(firm.firmId, [{ name: "Eleanor Hartley" }]);
  const calendly = await seedIntegration(firm.firmId, "booking", "calendly", BOOKING_SECRET);
  const calcom = await seedIntegration(firm.firmId, "booking", "calcom", BOOKING_SECRET);
  const inbound = await seedIntegration(firm.firmId, "inbound_mail", "postmark", INBOUND_TOKEN);
  return new SimulatedFirm(firm, { calendly, calcom, inbound }, QUEUE_MODE, { name: "Eleanor Hartley", email: `${partnerId}@firm.example` });
}

/**
 * Plays the script day by day: the 09:00 cron run, then the day's steps in time order, then the 17:00 run.
 * Steps at the same moment are sent together and the queue is drained once, before the clock moves on, so
 * the consumer handles them at the time they happened.
 */
async function playScript(sim: SimulatedFirm, prospects: Prospect[]) {
  const byDay = new Map<number, Array<{ prospect: Prospect; step: ScheduledStep }>>();
  for (const prospect of prospects) {
    for (const step of prospect.steps) byDay.set(step.day, [...(byDay.get(step.day) ?? []), { prospect, step }]);
  }

  for (let day = 0; day <= LAST_DAY; day++) {
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
