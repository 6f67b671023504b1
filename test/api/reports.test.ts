import { localDateOf, newId } from "@plumbline/core";
import { findOpportunity, insertMeeting, opportunities, recordStallCheck, setOpportunityValue } from "@plumbline/db";
import { and, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../apps/api/src/logger";
import { applyStageEvent } from "../../apps/api/src/pipeline/apply";
import { callApi, errorOf, getWithKey, submitJson } from "../support/api";
import { seedPeople, settledMessages } from "../support/follow-up";
import { enquire, reply, type Seeded } from "../support/report-history";
import { seedTwoFirms, testDatabase, type SeededFirm } from "../support/seed";

// The known history below is seeded through the same query functions the routes use, at fixed times, because the
// routes stamp events with the real clock. The firm keeps the test firm's calendar: Europe/London, Monday to
// Friday 09:00–17:30, response target 120 working minutes. Every March 2026 time is GMT, so UTC equals local.
//
//   O1 Mon 2 Mar 10:00  paid_search "wills-spring", service wills, owner Ann. Visit 1 Mar (paid_search,
//                       wills-spring), enquiry from the email newsletter (email, newsletter-mar). Reply 10:30
//                       (30 clock, 30 working minutes). Meeting booked 3 Mar (touch "booking"). Won 10 Mar, £1,000.00.
//   O2 Fri 6 Mar 16:00  organic_search, family-law, Ann. Reply Mon 9 Mar 10:00: 3,960 clock minutes, 150 working
//                       (Fri 16:00–17:30 and Mon 09:00–10:00). Won 10 Mar, £2,500.01.
//   O3 Tue 10 Mar 12:00 paid_search "wills-spring", wills, Bob. Reply 12:45 (45 and 45). Stalled, still open.
//   O4 Wed 11 Mar 09:00 referral, no service line, no owner. No reply. Closed for silence 25 Mar.
//   O5 Thu 12 Mar 17:00 paid_search, family-law, Bob. Reply Fri 13 Mar 09:30: 990 clock, 60 working (17:00–17:30
//                       and 09:00–09:30). Set to proposal_sent by hand on 13 Mar.
//   O6 Mon 4 Mar 2024 and O7 Wed 5 Mar 2025: earlier years for seasonality, referral, still open at "new".
// The other firm has one enquiry on 3 Mar 2026 from channel "other_firm_channel", which must never appear.

const PERIOD = "from=2026-03-01&to=2026-03-31";
const at = (iso: string) => new Date(iso);
const db = () => testDatabase();
const logger = createLogger({ test: "reports" });

async function win(firm: SeededFirm, opportunity: Seeded, when: string, valueMinor: number) {
  await setOpportunityValue(db(), firm.firmId, opportunity.id, valueMinor, at(when));
  await applyStageEvent(db(), logger, firm.firmId, opportunity.id, { type: "won", at: at(when), source: "clio" }, at(when));
}

async function report<T = any>(firm: SeededFirm, name: string, query = PERIOD): Promise<T> {
  const response = await getWithKey(`/v1/reports/${name}?${query}`, firm.apiKey);
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

async function csvOf(firm: SeededFirm, name: string, query = PERIOD): Promise<string[][]> {
  const response = await getWithKey(`/v1/reports/${name}?${query}&format=csv`, firm.apiKey);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
  return parseCsv(await response.text());
}

/** Reads RFC 4180 CSV: quoted fields may hold commas, doubled quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        cell += '"';
        index++;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ",") {
      row.push(cell);
      cell = "";
    } else if (char === "\r" && text[index + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      [row, cell] = [[], ""];
      index++;
    } else cell += char;
  }
  return rows;
}

let firm: SeededFirm;
let other: SeededFirm;
let ann: string;
let bob: string;

beforeAll(async () => {
  [firm, other] = await seedTwoFirms();
  const people = await seedPeople(firm.firmId, [{ name: "Ann Hartley" }, { name: "Bob Moss" }]);
  [ann, bob] = [people[0]!, people[1]!];

  const o1 = await enquire(firm, {
    at: "2026-03-02T10:00:00Z",
    channel: "paid_search",
    campaign: "wills-spring",
    serviceLine: "wills",
    ownerUserId: ann,
    touches: [
      { kind: "visit", channel: "paid_search", campaign: "wills-spring", occurredAt: at("2026-03-01T12:00:00Z") },
      { kind: "enquiry", channel: "email", campaign: "newsletter-mar", occurredAt: at("2026-03-02T10:00:00Z") },
    ],
  });
  await reply(firm, o1, "2026-03-02T10:30:00Z");
  const booked = at("2026-03-03T09:00:00Z");
  await insertMeeting(
    db(),
    { id: newId("mtg"), firmId: firm.firmId, opportunityId: o1.id, contactId: o1.contactId, provider: "calcom", meetingKey: `m-${o1.id}`, status: "booked", lastEventAt: booked, createdAt: booked, updatedAt: booked },
    { id: `tch_${o1.id}_booking`, kind: "booking", channel: "booking", campaign: null, occurredAt: booked },
  );
  await applyStageEvent(db(), logger, firm.firmId, o1.id, { type: "meeting_booked", at: booked, source: "calcom" }, booked);
  await win(firm, o1, "2026-03-10T15:00:00Z", 100_000);

  const o2 = await enquire(firm, { at: "2026-03-06T16:00:00Z", channel: "organic_search", serviceLine: "family-law", ownerUserId: ann });
  await reply(firm, o2, "2026-03-09T10:00:00Z");
  await win(firm, o2, "2026-03-10T16:00:00Z", 250_001);

  const o3 = await enquire(firm, { at: "2026-03-10T12:00:00Z", channel: "paid_search", campaign: "wills-spring", serviceLine: "wills", ownerUserId: bob });
  await reply(firm, o3, "2026-03-10T12:45:00Z");
  const o3Row = await findOpportunity(db(), firm.firmId, o3.id);
  await recordStallCheck(db(), {
    firmId: firm.firmId,
    opportunityId: o3.id,
    expectedCheckAt: o3Row!.nextStallCheckAt!,
    stalled: { reason: "no reply from the prospect for 7 days" },
    wasStalled: false,
    nextCheckAt: at("2026-03-25T09:00:00Z"),
    activityId: newId("act"),
    now: at("2026-03-18T09:00:00Z"),
  });

  const o4 = await enquire(firm, { at: "2026-03-11T09:00:00Z", channel: "referral" });
  await applyStageEvent(db(), logger, firm.firmId, o4.id, { type: "lost", at: at("2026-03-25T09:00:00Z"), source: "stall-sweep" }, at("2026-03-25T09:00:00Z"));

  const o5 = await enquire(firm, { at: "2026-03-12T17:00:00Z", channel: "paid_search", serviceLine: "family-law", ownerUserId: bob });
  await reply(firm, o5, "2026-03-13T09:30:00Z");
  await applyStageEvent(
    db(),
    logger,
    firm.firmId,
    o5.id,
    { type: "manual_override", to: "proposal_sent", at: at("2026-03-13T10:00:00Z"), source: "api", by: "key_test", reason: "sent by post" },
    at("2026-03-13T10:00:00Z"),
  );

  await enquire(firm, { at: "2024-03-04T10:00:00Z", channel: "referral" });
  await enquire(firm, { at: "2025-03-05T10:00:00Z", channel: "referral" });

  await enquire(other, { at: "2026-03-03T10:00:00Z", channel: "other_firm_channel", serviceLine: "wills" });
});

describe("channels-to-revenue", () => {
  it("counts and attributes by hand", async () => {
    const body = await report(firm, "channels-to-revenue");
    expect(body.period).toEqual({ from: "2026-03-01", to: "2026-03-31", label: "1 Mar 2026 to 31 Mar 2026", timeZone: "Europe/London" });
    expect(body.currency).toBe("GBP");
    // O1–O5: 5 enquiries, 1 meeting (O1), 2 wins (O1, O2), fees 100,000 + 250,001.
    expect(body.totals).toEqual({ enquiries: 5, meetings: 1, wins: 2, feesWonMinor: 350_001, winsWithoutValue: 0 });

    const rows = Object.fromEntries(body.rows.map((row: any) => [`${row.channel}/${row.campaign}`, row]));
    expect(Object.keys(rows).sort()).toEqual(["booking/null", "email/newsletter-mar", "organic_search/null", "paid_search/null", "paid_search/wills-spring", "referral/null"]);
    // O1 and O3; O1 won. O1's 100,000 over 3 touches: 33,333 rem 1, so the first touch (paid search) takes 33,334.
    expect(rows["paid_search/wills-spring"]).toMatchObject({
      channelLabel: "Paid search",
      enquiries: 2,
      meetings: 1,
      wins: 1,
      conversionRate: 0.5,
      feesWonMinor: 100_000,
      attributedMinor: { first_touch: 100_000, last_touch: 0, linear: 33_334 },
    });
    expect(rows["email/newsletter-mar"]).toMatchObject({ enquiries: 0, wins: 0, feesWonMinor: 0, attributedMinor: { first_touch: 0, last_touch: 0, linear: 33_333 } });
    // The booking is O1's last touch.
    expect(rows["booking/null"]).toMatchObject({ enquiries: 0, attributedMinor: { first_touch: 0, last_touch: 100_000, linear: 33_333 } });
    // O2 has one touch: every model gives it all 250,001.
    expect(rows["organic_search/null"]).toMatchObject({ enquiries: 1, wins: 1, conversionRate: 1, feesWonMinor: 250_001, attributedMinor: { first_touch: 250_001, last_touch: 250_001, linear: 250_001 } });
    expect(rows["paid_search/null"]).toMatchObject({ enquiries: 1, meetings: 0, wins: 0, conversionRate: 0, feesWonMinor: 0 });
    expect(rows["referral/null"]).toMatchObject({ enquiries: 1, wins: 0 });

    // Each model adds up to the fees won.
    for (const model of ["first_touch", "last_touch", "linear"]) {
      expect(body.rows.reduce((total: number, row: any) => total + row.attributedMinor[model], 0)).toBe(350_001);
    }
    expect(body.chart.keys).toEqual(["booking", "email", "organic_search", "paid_search", "referral"]);
    expect(body.chart.series.find((series: any) => series.key === "linear").values).toEqual([33_333, 33_333, 250_001, 33_334, 0]);
  });

  it("CSV has the JSON figures in pounds", async () => {
    const lines = await csvOf(firm, "channels-to-revenue");
    expect(lines[0]).toEqual(["Channel", "Campaign", "Enquiries", "Meetings", "Wins", "Conversion rate", "Fees won (GBP)", "First touch (GBP)", "Last touch (GBP)", "Linear (GBP)"]);
    const body = await report(firm, "channels-to-revenue");
    expect(lines).toHaveLength(body.rows.length + 1);
    expect(lines).toContainEqual(["Paid search", "wills-spring", "2", "1", "1", "0.5", "1000.00", "1000.00", "0.00", "333.34"]);
    expect(lines).toContainEqual(["Organic search", "", "1", "0", "1", "1", "2500.01", "2500.01", "2500.01", "2500.01"]);
    expect(lines).toContainEqual(["Booking", "", "0", "0", "0", "", "0.00", "0.00", "1000.00", "333.33"]);
  });

  it("filters by channel and owner", async () => {
    const paid = await report(firm, "channels-to-revenue", `${PERIOD}&channel=paid_search`);
    // O1, O3, O5.
    expect(paid.totals).toMatchObject({ enquiries: 3, wins: 1, feesWonMinor: 100_000 });
    const bobs = await report(firm, "channels-to-revenue", `${PERIOD}&owner=${bob}`);
    // O3, O5.
    expect(bobs.totals).toMatchObject({ enquiries: 2, wins: 0 });
  });
});

describe("speed-to-lead", () => {
  it("measures by hand", async () => {
    const body = await report(firm, "speed-to-lead");
    expect(body.targetWorkingMinutes).toBe(120);
    // Clock 30 + 3,960 + 45 + 990 = 5,025 over 4 replies = 20.9375 h; working 30 + 150 + 45 + 60 = 285 → 1.1875 h.
    // Within 120 working minutes: O1, O3, O5 of 5 enquiries.
    expect(body.totals).toEqual({
      key: null,
      label: "All enquiries",
      enquiries: 5,
      responded: 4,
      meanClockHours: 20.94,
      meanWorkingHours: 1.19,
      withinTarget: 3,
      shareWithinTarget: 0.6,
      wins: 2,
      conversionRate: 0.4,
    });
    // Ann: O1, O2 → clock (30 + 3,960) / 2 = 1,995 min = 33.25 h; working (30 + 150) / 2 = 90 min = 1.5 h.
    // Bob: O3, O5 → clock 517.5 min = 8.625 h; working 52.5 min = 0.875 h.
    expect(body.byOwner).toEqual([
      { key: ann, label: "Ann Hartley", enquiries: 2, responded: 2, meanClockHours: 33.25, meanWorkingHours: 1.5, withinTarget: 1, shareWithinTarget: 0.5, wins: 2, conversionRate: 1 },
      { key: bob, label: "Bob Moss", enquiries: 2, responded: 2, meanClockHours: 8.63, meanWorkingHours: 0.88, withinTarget: 2, shareWithinTarget: 1, wins: 0, conversionRate: 0 },
      { key: null, label: "Unassigned", enquiries: 1, responded: 0, meanClockHours: null, meanWorkingHours: null, withinTarget: 0, shareWithinTarget: 0, wins: 0, conversionRate: 0 },
    ]);
    expect(body.byServiceLine.map((row: any) => [row.label, row.enquiries, row.withinTarget])).toEqual([
      ["Family law", 2, 1],
      ["No service line", 1, 0],
      ["Wills", 2, 2],
    ]);
    expect(body.byChannel.map((row: any) => [row.key, row.enquiries, row.responded])).toEqual([
      ["organic_search", 1, 1],
      ["paid_search", 3, 3],
      ["referral", 1, 0],
    ]);

    // Clock bands: O1 30 and O3 45 under 1 h (O1 won), O5 990 in 4–24 h, O2 3,960 in 1–3 days (won), O4 none.
    const clock = body.conversionByBand.clock.map((band: any) => [band.band, band.enquiries, band.won, band.rate]);
    expect(clock).toEqual([
      ["under_1h", 2, 1, 0.5],
      ["1h_to_4h", 0, 0, null],
      ["4h_to_24h", 1, 0, 0],
      ["1d_to_3d", 1, 1, 1],
      ["over_3d", 0, 0, null],
      ["none", 1, 0, 0],
    ]);
    // Working bands: O1 30, O3 45 under 1 h; O5 60 and O2 150 in 1–4 h (O2 won); O4 none.
    const working = body.conversionByBand.working.map((band: any) => [band.band, band.enquiries, band.won, band.rate]);
    expect(working).toEqual([
      ["under_1h", 2, 1, 0.5],
      ["1h_to_4h", 2, 1, 0.5],
      ["4h_to_24h", 0, 0, null],
      ["1d_to_3d", 0, 0, null],
      ["over_3d", 0, 0, null],
      ["none", 1, 0, 0],
    ]);
    expect(body.chart.labels[0]).toBe("Under 1 hour");
  });

  it("CSV has the JSON figures", async () => {
    const lines = await csvOf(firm, "speed-to-lead");
    expect(lines[1]).toEqual(["Total", "All enquiries", "5", "4", "20.94", "1.19", "3", "0.6", "2", "0.4"]);
    expect(lines).toContainEqual(["Owner", "Bob Moss", "2", "2", "8.63", "0.88", "2", "1", "0", "0"]);
    expect(lines).toContainEqual(["Band (working time)", "1–4 hours", "2", "", "", "", "", "", "1", "0.5"]);
  });
});

describe("pipeline-health", () => {
  it("shows open, stalled and closed by hand", async () => {
    const body = await report(firm, "pipeline-health");
    // Open: O6, O7 (new), O3 (in conversation, stalled), O5 (proposal sent). All enquired over 90 days before now.
    expect(body.open.total).toBe(4);
    expect(body.open.byStage.map((stage: any) => [stage.stage, stage.open, stage.stalled, stage.byAge.over_90d])).toEqual([
      ["new", 2, 0, 2],
      ["in_conversation", 1, 1, 1],
      ["proposal_sent", 1, 0, 1],
    ]);
    expect(body.stalled.total).toBe(1);
    expect(body.stalled.byReason).toEqual([{ reason: "no reply from the prospect for 7 days", stalled: 1 }]);
    expect(body.stalled.longest).toHaveLength(1);
    expect(body.stalled.longest[0]).toMatchObject({ stage: "in_conversation", owner: "Bob Moss", stalledAt: "2026-03-18T09:00:00.000Z" });
    // Closed in March: O1 and O2 won, O4 lost for silence.
    expect(body.closedInPeriod).toEqual({ won: 2, lost: 1, closedForSilence: 1 });
    // From evidence: O1 reply, meeting, won (3); O2 reply, won (2); O3 reply (1); O4 closed by the sweep (1); O5 reply (1).
    // By hand: O5's override (1). 8 of 9.
    expect(body.dataOrigin).toEqual({ evidenceChanges: 8, manualChanges: 1, evidenceShare: 0.8889 });
    expect(body.chart.series.find((series: any) => series.key === "over_90d").values).toEqual([2, 1, 1]);
  });

  it("CSV has the JSON figures", async () => {
    const lines = await csvOf(firm, "pipeline-health");
    expect(lines[0]).toEqual(["Section", "Item", "Count", "Under 1 week", "1 week to 30 days", "30 to 90 days", "Over 90 days", "Stalled"]);
    expect(lines).toContainEqual(["Open by stage", "In conversation", "1", "0", "0", "0", "1", "1"]);
    expect(lines).toContainEqual(["Closed in period", "Closed for silence", "1", "", "", "", "", ""]);
    expect(lines).toContainEqual(["Data origin", "Share from evidence", "0.8889", "", "", "", "", ""]);
  });
});

describe("service-line-by-channel", () => {
  it("crosses service lines with channels", async () => {
    const body = await report(firm, "service-line-by-channel");
    expect(body.channels.map((channel: any) => channel.key)).toEqual(["organic_search", "paid_search", "referral"]);
    const cells = Object.fromEntries(body.rows.map((row: any) => [row.label, row.cells.map((cell: any) => [cell.enquiries, cell.wins])]));
    // Family law: O2 organic (won), O5 paid. Wills: O1 paid (won), O3 paid. None: O4 referral.
    expect(cells).toEqual({
      "Family law": [[1, 1], [1, 0], [0, 0]],
      "No service line": [[0, 0], [0, 0], [1, 0]],
      Wills: [[0, 0], [2, 1], [0, 0]],
    });
    expect(body.rows.find((row: any) => row.label === "Wills").total).toEqual({ enquiries: 2, wins: 1, conversionRate: 0.5 });
    expect(body.columnTotals[1]).toEqual({ enquiries: 3, wins: 1, conversionRate: 0.3333 });
    expect(body.total).toEqual({ enquiries: 5, wins: 2, conversionRate: 0.4 });
  });

  it("CSV has the JSON figures", async () => {
    const lines = await csvOf(firm, "service-line-by-channel");
    expect(lines).toContainEqual(["Wills", "Paid search", "2", "1", "0.5"]);
    expect(lines).toContainEqual(["All service lines", "Paid search", "3", "1", "0.3333"]);
    expect(lines.at(-1)).toEqual(["All service lines", "All channels", "5", "2", "0.4"]);
  });
});

describe("seasonality", () => {
  it("compares weeks and months with earlier years", async () => {
    const body = await report(firm, "seasonality");
    expect(body.historyStart).toBe("2024-03-04");
    // Weeks touching March 2026: W09 (23 Feb–1 Mar) to W14 (30 Mar–5 Apr).
    expect(body.weeks.map((week: any) => [week.key, week.enquiries])).toEqual([
      ["2026-W09", 0],
      ["2026-W10", 2],
      ["2026-W11", 3],
      ["2026-W12", 0],
      ["2026-W13", 0],
      ["2026-W14", 0],
    ]);
    // W10: O1, O2. W10 of 2025 has O7 and of 2024 has O6: mean 1, SD 0, band 1 ± 2. 2 is usual.
    const w10 = body.weeks[1];
    expect(w10.earlierYears).toEqual([{ year: 2025, enquiries: 1 }, { year: 2024, enquiries: 1 }]);
    expect(w10.baseline).toEqual({ basis: "earlier_years", mean: 1, sd: 0, low: -1, high: 3, periods: 2 });
    expect(w10.unusual).toBeNull();
    // W11: O3, O4, O5 against 0 and 0: band 0 ± 2, so 3 is high.
    expect(body.weeks[2].unusual).toBe("high");
    // W09 of 2024 began before history did, so only 2025 counts and the 8 weeks before are the baseline.
    expect(body.weeks[0].baseline.basis).toBe("trailing");

    // March 2024 began before the first enquiry (4 Mar 2024), so March has one earlier year and uses the 6 months
    // before it (all 0): band 0 ± 2, and 5 is high.
    expect(body.months).toHaveLength(1);
    expect(body.months[0]).toMatchObject({ key: "2026-03", label: "March 2026", enquiries: 5, earlierYears: [{ year: 2025, enquiries: 1 }], unusual: "high" });
    expect(body.months[0].baseline).toMatchObject({ basis: "trailing", mean: 0, periods: 6 });
    expect(body.charts.weeks.series[0].values).toEqual([0, 2, 3, 0, 0, 0]);
  });

  it("CSV has the JSON figures with British dates", async () => {
    const lines = await csvOf(firm, "seasonality");
    expect(lines[2]).toEqual(["Week", "Week 10, 2026", "02/03/2026", "08/03/2026", "2", "2025: 1; 2024: 1", "earlier_years", "1", "0", "-1", "3", ""]);
    expect(lines.at(-1)).toEqual(["Month", "March 2026", "01/03/2026", "31/03/2026", "5", "2025: 1", "trailing", "0", "0", "-2", "2", "high"]);
  });
});

describe("report tenancy and input", () => {
  it("never shows another firm's data", async () => {
    for (const name of ["channels-to-revenue", "speed-to-lead", "pipeline-health", "service-line-by-channel", "seasonality"]) {
      const response = await getWithKey(`/v1/reports/${name}?${PERIOD}`, firm.apiKey);
      expect(await response.text()).not.toContain("other_firm_channel");
    }
    const theirs = await report(other, "channels-to-revenue");
    expect(theirs.totals.enquiries).toBe(1);
    expect(theirs.rows.map((row: any) => row.channel)).toEqual(["other_firm_channel"]);
    const theirMatrix = await report(other, "service-line-by-channel");
    expect(theirMatrix.total.enquiries).toBe(1);
  });

  it("rejects bad filters with the field", async () => {
    const cases: [string, string][] = [
      ["from=2026-02-30", "from"],
      ["from=yesterday", "from"],
      ["from=2026-04-01&to=2026-03-01", "from"],
      ["from=2020-01-01&to=2026-01-01", "to"],
      ["format=xml", "format"],
      ["channel=", "channel"],
    ];
    for (const [query, field] of cases) {
      const response = await getWithKey(`/v1/reports/speed-to-lead?${query}`, firm.apiKey);
      expect(response.status).toBe(400);
      const error = await errorOf(response);
      expect(error.code).toBe("invalid_request");
      expect(error.field).toBe(field);
    }
  });

  it("needs an API key", async () => {
    const response = await callApi(`/v1/reports/seasonality?${PERIOD}`);
    expect(response.status).toBe(401);
  });

  it("picks CSV from the Accept header", async () => {
    const response = await callApi(`/v1/reports/service-line-by-channel?${PERIOD}`, { headers: { authorization: `Bearer ${firm.apiKey}`, accept: "text/csv" } });
    expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(response.headers.get("content-disposition")).toBe('attachment; filename="service-line-by-channel_2026-03-01_2026-03-31.csv"');
  });
});

describe("reports from the real routes", () => {
  it("records touches, a reply-free enquiry and a won value", async () => {
    const [routed] = await seedTwoFirms();
    const response = await submitJson(routed.formKey, {
      submissionId: `rep-${crypto.randomUUID().slice(0, 8)}`,
      fields: { name: "Routed Prospect", email: `routed-${crypto.randomUUID().slice(0, 6)}@example.com`, service: "family" },
      attribution: {
        firstTouch: { utm_source: "google", utm_medium: "cpc", utm_campaign: "divorce", at: new Date(Date.now() - 86_400_000).toISOString() },
        lastTouch: { utm_source: "newsletter", utm_medium: "email", utm_campaign: "winter" },
      },
    });
    expect(response.status).toBe(201);
    await settledMessages(routed.firmId);
    const [row] = await db().select().from(opportunities).where(eq(opportunities.firmId, routed.firmId));
    expect(row!.enquiryDate).toBe(localDateOf(new Date(), "Europe/London"));

    // The won event carries the fee in pence, and a later event with another value (from a practice-management
    // system) replaces it.
    const won = await callApi(`/v1/opportunities/${row!.id}/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${routed.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ type: "won", valueMinor: 90_000, source: "clio" }),
    });
    expect(won.status).toBe(200);
    const later = await callApi(`/v1/opportunities/${row!.id}/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${routed.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ type: "won", valueMinor: 120_001, source: "clio" }),
    });
    expect(later.status).toBe(200);

    const today = localDateOf(new Date(), "Europe/London");
    const body = await report(routed, "channels-to-revenue", `from=${today}&to=${today}`);
    expect(body.totals).toMatchObject({ enquiries: 1, wins: 1, feesWonMinor: 120_001 });
    // Two touches: the paid-search visit (first) and the email newsletter enquiry (last). 120,001 / 2 = 60,000 rem 1.
    const credits = Object.fromEntries(body.rows.map((entry: any) => [`${entry.channel}/${entry.campaign}`, entry.attributedMinor]));
    expect(Object.values(credits).map((credit: any) => credit.first_touch + credit.last_touch + credit.linear)).toHaveLength(2);
    const first = body.rows.find((entry: any) => entry.attributedMinor.first_touch > 0);
    const last = body.rows.find((entry: any) => entry.attributedMinor.last_touch > 0);
    expect(first).toMatchObject({ campaign: "divorce", attributedMinor: { first_touch: 120_001, last_touch: 0, linear: 60_001 } });
    expect(last).toMatchObject({ campaign: "winter", attributedMinor: { first_touch: 0, last_touch: 120_001, linear: 60_000 } });
    const dataOrigin = (await report(routed, "pipeline-health", `from=${today}&to=${today}`)).dataOrigin;
    // Acknowledgement sent, then won: both from evidence.
    expect(dataOrigin.manualChanges).toBe(0);
    expect(dataOrigin.evidenceChanges).toBeGreaterThanOrEqual(1);
  });
});
