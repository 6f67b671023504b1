import { attributeValue, newId, type StageEvent } from "@plumbline/core";
import { findOpportunity, insertMeeting, rebuildStatements, recordStallCheck, setOpportunityValue, triggerStatements, type NewTouch } from "@plumbline/db";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../apps/api/src/logger";
import { applyStageEvent } from "../../apps/api/src/pipeline/apply";
import { getWithKey } from "../support/api";
import { enquire as seedEnquiry, reply, type Seeded } from "../support/report-history";
import { seedTwoFirms, testDatabase, type SeededFirm } from "../support/seed";

// The report summaries are kept by triggers as events are written. After a mixed history, with some events
// processed twice, the kept totals must equal a rebuild from the opportunities and their touches.

const logger = createLogger({ test: "report-summaries" });
const at = (iso: string) => new Date(iso);
const db = () => testDatabase();

/** Records an enquiry on `when` from `channel`, in this file's shorter call form. */
function enquire(firm: SeededFirm, when: string, channel: string, options: { campaign?: string; serviceLine?: string; touches?: Omit<NewTouch, "id">[] } = {}) {
  return seedEnquiry(firm, { at: when, channel, ...options });
}

async function book(firm: SeededFirm, opportunity: Seeded, when: string, key: string) {
  const booked = at(when);
  await insertMeeting(
    db(),
    { id: `mtg_${key}`, firmId: firm.firmId, opportunityId: opportunity.id, contactId: opportunity.contactId, provider: "calcom", meetingKey: key, status: "booked", lastEventAt: booked, createdAt: booked, updatedAt: booked },
    { id: `tch_${opportunity.id}_${key}`, kind: "booking", channel: "booking", campaign: null, occurredAt: booked },
  );
  await stage(firm, opportunity, { type: "meeting_booked", at: booked, source: "calcom" });
}

async function stage(firm: SeededFirm, opportunity: Seeded, event: StageEvent) {
  await applyStageEvent(db(), logger, firm.firmId, opportunity.id, event, event.at);
}

type Row = Record<string, string | number>;

/** The rows of a summary table that hold anything, in key order; rows taken back to zero are left out. */
const ORDER = {
  report_totals: "grain, bucket, channel, campaign, service_line, owner_user_id",
  report_attribution: "grain, bucket, channel, service_line, owner_user_id, model, touch_channel, touch_campaign",
  report_open: "stage, channel, service_line, owner_user_id, stalled_reason",
};

async function rowsOf(table: keyof typeof ORDER, firmId: string): Promise<Row[]> {
  const result = await env.DB.prepare(`SELECT * FROM ${table} WHERE firm_id = ? ORDER BY ${ORDER[table]}`).bind(firmId).all<Row>();
  return result.results.filter((row) => Object.values(row).some((value) => typeof value === "number" && value !== 0));
}

async function rebuild() {
  await env.DB.batch(rebuildStatements().map((statement) => env.DB.prepare(statement)));
}

let firm: SeededFirm;
let other: SeededFirm;
let mixed: Seeded;

beforeAll(async () => {
  [firm, other] = await seedTwoFirms();

  // Won with a value, then the value is corrected; the win and the correction both arrive twice.
  const wonThenChanged = await enquire(firm, "2026-03-02T10:00:00Z", "paid_search", {
    campaign: "wills-spring",
    serviceLine: "wills",
    touches: [
      { kind: "visit", channel: "paid_search", campaign: "wills-spring", occurredAt: at("2026-03-01T12:00:00Z") },
      { kind: "enquiry", channel: "email", campaign: "newsletter", occurredAt: at("2026-03-02T10:00:00Z") },
    ],
  });
  const firstReply = newId("eml");
  await reply(firm, wonThenChanged, "2026-03-02T10:30:00Z", firstReply);
  await reply(firm, wonThenChanged, "2026-03-02T10:30:00Z", firstReply);
  await book(firm, wonThenChanged, "2026-03-03T09:00:00Z", "m1");
  await book(firm, wonThenChanged, "2026-03-03T09:00:00Z", "m1");
  await setOpportunityValue(db(), firm.firmId, wonThenChanged.id, 100_000, at("2026-03-10T15:00:00Z"));
  const won: StageEvent = { type: "won", at: at("2026-03-10T15:00:00Z"), source: "clio" };
  await stage(firm, wonThenChanged, won);
  await stage(firm, wonThenChanged, won);
  await setOpportunityValue(db(), firm.firmId, wonThenChanged.id, 120_001, at("2026-03-11T09:00:00Z"));
  await setOpportunityValue(db(), firm.firmId, wonThenChanged.id, 120_001, at("2026-03-11T09:00:00Z"));

  // Won first, valued later, then a further touch arrives: the split must follow the new touch.
  mixed = await enquire(firm, "2026-03-05T16:00:00Z", "organic_search", {
    serviceLine: "family-law",
    touches: [
      { kind: "visit", channel: "paid_search", campaign: "divorce", occurredAt: at("2026-03-04T12:00:00Z") },
      { kind: "enquiry", channel: "paid_search", campaign: "divorce", occurredAt: at("2026-03-05T16:00:00Z") },
    ],
  });
  await reply(firm, mixed, "2026-03-09T10:00:00Z");
  await stage(firm, mixed, { type: "won", at: at("2026-03-12T10:00:00Z"), source: "clio" });
  await setOpportunityValue(db(), firm.firmId, mixed.id, 100_001, at("2026-03-12T11:00:00Z"));
  await book(firm, mixed, "2026-03-13T09:00:00Z", "m2");

  // Lost for silence, stalled first; the close arrives twice.
  const silent = await enquire(firm, "2026-03-11T09:00:00Z", "referral");
  const row = await findOpportunity(db(), firm.firmId, silent.id);
  await recordStallCheck(db(), {
    firmId: firm.firmId,
    opportunityId: silent.id,
    expectedCheckAt: row!.nextStallCheckAt!,
    stalled: { reason: "no reply from the prospect for 7 days" },
    wasStalled: false,
    nextCheckAt: at("2026-03-25T09:00:00Z"),
    activityId: newId("act"),
    now: at("2026-03-18T09:00:00Z"),
  });
  const lost: StageEvent = { type: "lost", at: at("2026-03-25T09:00:00Z"), source: "stall-sweep" };
  await stage(firm, silent, lost);
  await stage(firm, silent, lost);

  // Set by hand, then won and reopened by hand: the closure must be taken back out.
  const overridden = await enquire(firm, "2026-03-12T17:00:00Z", "paid_search", { serviceLine: "family-law" });
  await reply(firm, overridden, "2026-03-13T09:30:00Z");
  const override: StageEvent = { type: "manual_override", to: "proposal_sent", at: at("2026-03-13T10:00:00Z"), source: "api", by: "key_test", reason: "sent by post" };
  await stage(firm, overridden, override);
  await stage(firm, overridden, override);
  await setOpportunityValue(db(), firm.firmId, overridden.id, 5_000, at("2026-03-20T10:00:00Z"));
  await stage(firm, overridden, { type: "won", at: at("2026-03-20T10:00:00Z"), source: "api" });
  await stage(firm, overridden, { type: "manual_override", to: "in_conversation", at: at("2026-03-21T10:00:00Z"), source: "api", by: "key_test", reason: "signed in error" });

  // An enquiry in another month and one for the other firm, which must keep to its own rows.
  await enquire(firm, "2026-04-01T08:00:00Z", "direct");
  await enquire(other, "2026-03-03T10:00:00Z", "other_firm_channel");
});

describe("report summaries", () => {
  it("installs the triggers the generator writes", async () => {
    const result = await env.DB.prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'report\\_%' ESCAPE '\\' ORDER BY rowid").all<{ sql: string }>();
    expect(result.results.map((row) => row.sql)).toEqual(triggerStatements());
  });

  it("equal a rebuild after a mixed history with repeated events", async () => {
    const tables = Object.keys(ORDER) as (keyof typeof ORDER)[];
    const snapshot = async () => Object.fromEntries(await Promise.all(tables.flatMap((table) => [firm, other].map(async (owner) => [`${table} ${owner.firmId}`, await rowsOf(table, owner.firmId)]))));
    const kept = await snapshot();
    for (const table of tables) expect(kept[`${table} ${firm.firmId}`].length, table).toBeGreaterThan(0);
    await rebuild();
    expect(await snapshot()).toEqual(kept);
  });

  it("hold the figures worked out by hand", async () => {
    const [march] = (await rowsOf("report_totals", firm.firmId)).filter((row) => row.grain === "month" && row.bucket === "2026-03" && row.channel === "paid_search" && row.campaign === "wills-spring");
    // One enquiry, replied to once although the reply was filed twice, one meeting, won once at the corrected value.
    expect(march).toMatchObject({ enquiries: 1, responded: 1, meetings: 1, wins: 1, fees_won_minor: 120_001, clock_minutes: 30, within_target: 1 });
    const closed = (await rowsOf("report_totals", firm.firmId)).filter((row) => row.grain === "closed_day");
    // Two wins and the silent enquiry's loss; the win reopened by hand is gone again.
    expect(closed.map((row) => [row.bucket, row.channel, row.closed_won, row.closed_lost, row.closed_for_silence])).toEqual([
      ["2026-03-10", "paid_search", 1, 0, 0],
      ["2026-03-12", "organic_search", 1, 0, 0],
      ["2026-03-25", "referral", 0, 1, 1],
    ]);
    // Open: the one reopened by hand (its £50.00 value kept) and April's enquiry.
    const open = (await rowsOf("report_open", firm.firmId)).map((row) => [row.stage, row.channel, row.open, row.stalled, row.value_minor]);
    expect(open).toEqual([
      ["in_conversation", "paid_search", 1, 0, 5_000],
      ["new", "direct", 1, 0, 0],
    ]);
  });

  it("split a value as attributeValue does, merging touches of one channel and campaign", async () => {
    const body = (await (await getWithKey("/v1/reports/channels-to-revenue?from=2026-03-05&to=2026-03-05", firm.apiKey)).json()) as { rows: { channel: string; campaign: string | null; attributedMinor: Record<string, number> }[] };
    const touches = [
      { channel: "paid_search", campaign: "divorce" },
      { channel: "paid_search", campaign: "divorce" },
      { channel: "booking", campaign: null },
    ];
    for (const model of ["first_touch", "last_touch", "linear"] as const) {
      const expected = attributeValue(touches, 100_001, model);
      for (const credit of expected) {
        const row = body.rows.find((candidate) => candidate.channel === credit.channel && candidate.campaign === credit.campaign);
        expect(row?.attributedMinor[model]).toBe(credit.minor);
      }
    }
    expect(body.rows.find((row) => row.channel === "paid_search")?.attributedMinor.linear).toBe(66_668);
  });

  it("recount within-target answers when the firm's target changes", async () => {
    const within = async () => (await rowsOf("report_totals", firm.firmId)).filter((row) => row.grain === "month").reduce((sum, row) => sum + Number(row.within_target), 0);
    // Working minutes to the first reply: 30, 660 (Thu 16:00 to Mon 10:00) and 60; the firm's target is 120.
    expect(await within()).toBe(2);
    await env.DB.prepare("UPDATE firms SET response_target_minutes = 660 WHERE id = ?").bind(firm.firmId).run();
    expect(await within()).toBe(3);
    const kept = await rowsOf("report_totals", firm.firmId);
    await rebuild();
    expect(await rowsOf("report_totals", firm.firmId)).toEqual(kept);
    await env.DB.prepare("UPDATE firms SET response_target_minutes = 120 WHERE id = ?").bind(firm.firmId).run();
  });
});
