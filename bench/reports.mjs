// Response time of each report for a firm with 10,000 timeline activities and one with 1,000,000, in one run.
// Both firms get one opportunity per 10 activities (1,000 and 100,000), spread over three years, with touches,
// first-response times, meetings, wins with fees, stalls and closures. The rows are written straight into the
// local D1 file (SQLite, through node:sqlite) after the migrations, and then `wrangler dev` serves the real API
// on 127.0.0.1. Each report is requested `--warmup` times untimed and `--requests` times timed per firm, for the
// default period (the last 365 days), and the script prints p50 and p95 per report and firm.
//
//   node_modules/.bin/node bench/reports.mjs --requests 30
//
// Exits 1 when a request fails. Times are reported, not judged; the goal is a p95 under 300 ms for both firms.
import { createHash } from "node:crypto";
import { cpus, loadavg } from "node:os";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { freePort } from "../test/browser/support.mjs";
import { prepareLocalDatabase, startLocalStack } from "../scripts/local-stack.mjs";

// Not strict: `npm run bench -- ...` passes the same arguments to every benchmark.
const { values } = parseArgs({
  strict: false,
  options: {
    requests: { type: "string", default: "30" },
    warmup: { type: "string", default: "3" },
  },
});
const REQUESTS = Number(values.requests);
const WARMUP = Number(values.warmup);
const REPORTS = ["channels-to-revenue", "speed-to-lead", "pipeline-health", "service-line-by-channel", "seasonality"];
const ACTIVITIES_PER_OPPORTUNITY = 10;
const FIRMS = [
  { id: "firm_bench_10k", activities: 10_000, apiKey: "pl_test_bench_reports_10k" },
  { id: "firm_bench_1m", activities: 1_000_000, apiKey: "pl_test_bench_reports_1m" },
];
const CHANNELS = ["paid_search", "organic_search", "referral", "email", "direct", "social", "directory"];
const CAMPAIGNS = [null, null, "wills-spring", "divorce-winter", "probate-2026"];
const SERVICE_LINES = ["family-law", "property", "wills", "employment", null];
const STAGES = ["new", "acknowledged", "in_conversation", "meeting_booked", "meeting_held", "proposal_sent"];
const DAY_MS = 86_400_000;
// History ends on the day of the run, so the default period (the last 365 days) contains about a third of it.
const HISTORY_END = Date.now();
const HISTORY_START = HISTORY_END - 3 * 365 * DAY_MS;

/** Deterministic pseudo-random numbers (mulberry32), so every run seeds the same data. */
function randomSource(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const londonDate = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/London", year: "numeric", month: "2-digit", day: "2-digit" });

function openLocalD1(persistTo, DatabaseSync) {
  const folder = join(persistTo, "v3", "d1", "miniflare-D1DatabaseObject");
  const file = readdirSync(folder).find((name) => name.endsWith(".sqlite") && name !== "metadata.sqlite");
  if (!file) throw new Error(`no local D1 database in ${folder}`);
  return new DatabaseSync(join(folder, file));
}

/** Writes one firm and its history: contacts, opportunities, touches and activities, in one transaction. */
function seedFirm(database, firm) {
  const random = randomSource(firm.activities);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const now = Date.now();
  const owners = [1, 2, 3, 4].map((n) => `user_${firm.id}_${n}`);

  database.exec("BEGIN");
  database
    .prepare(
      `INSERT INTO firms (id, name, slug, time_zone, working_hours, currency, response_target_minutes, created_at, updated_at)
       VALUES (?, ?, ?, 'Europe/London', ?, 'GBP', 120, ?, ?)`,
    )
    .run(firm.id, `Bench ${firm.id}`, firm.id, JSON.stringify([1, 2, 3, 4, 5].map((day) => ({ day, start: "09:00", end: "17:30" }))), now, now);
  database
    .prepare("INSERT INTO api_keys (id, firm_id, name, prefix, key_hash, created_at) VALUES (?, ?, 'Bench', ?, ?, ?)")
    .run(`key_${firm.id}`, firm.id, firm.apiKey.slice(0, 12), createHash("sha256").update(firm.apiKey).digest("hex"), now);
  for (const [index, owner] of owners.entries()) {
    database.prepare("INSERT INTO users (id, email, name, created_at) VALUES (?, ?, ?, ?)").run(owner, `${owner}@bench.example`, `Partner ${index + 1}`, now);
    database.prepare("INSERT INTO memberships (firm_id, user_id, role, created_at) VALUES (?, ?, 'partner', ?)").run(firm.id, owner, now);
  }

  const contact = database.prepare("INSERT INTO contacts (id, firm_id, name, email, email_normalised, created_at, updated_at) VALUES (?, ?, 'Bench', ?, ?, ?, ?)");
  const opportunity = database.prepare(
    `INSERT INTO opportunities (id, firm_id, contact_id, reference, stage, service_line, owner_user_id, value_minor, currency, origin,
       channel, last_touch_channel, utm_campaign, attribution, created_at, updated_at, first_response_at, last_activity_at,
       stalled_at, stalled_reason, closed_at, close_reason, enquiry_date, first_response_minutes, first_response_working_minutes,
       first_meeting_at, evidence_changes, manual_changes)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'GBP', 'web_form', ?, ?, ?, '{"firstTouchReason":"bench","lastTouchReason":"bench"}', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const touch = database.prepare("INSERT INTO opportunity_touches (id, firm_id, opportunity_id, kind, channel, campaign, occurred_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  const activity = database.prepare(
    "INSERT INTO activities (id, firm_id, opportunity_id, contact_id, type, cause, origin, occurred_at, data, created_at) VALUES (?, ?, ?, ?, ?, 'automation', 'plumbline', ?, '{}', ?)",
  );

  const opportunities = firm.activities / ACTIVITIES_PER_OPPORTUNITY;
  for (let n = 0; n < opportunities; n++) {
    const id = `opp_${firm.id}_${n}`;
    const contactId = `con_${firm.id}_${n}`;
    const createdAt = Math.floor(HISTORY_START + random() * (HISTORY_END - HISTORY_START));
    const channel = pick(CHANNELS);
    const campaign = channel === "paid_search" || channel === "email" ? pick(CAMPAIGNS) : null;
    const responded = random() < 0.85;
    const clockMinutes = responded ? Math.floor(random() * random() * 6_000) : null;
    const ageDays = (now - createdAt) / DAY_MS;
    const outcome = random();
    // Older than 60 days: 20% won, 50% lost, the rest still open.
    let closed = null;
    if (ageDays > 60 && outcome < 0.2) closed = "won";
    else if (ageDays > 60 && outcome < 0.7) closed = "lost";
    let closeReason = closed;
    if (closed === "lost" && random() < 0.6) closeReason = "no response";
    const stage = closed ?? pick(STAGES);
    const stalled = !closed && random() < 0.3;
    const meeting = random() < 0.35 ? createdAt + 2 * DAY_MS : null;

    contact.run(contactId, firm.id, `${contactId}@bench.example`, `${contactId}@bench.example`, createdAt, createdAt);
    opportunity.run(
      id,
      firm.id,
      contactId,
      `ENQ-${firm.id}-${n}`,
      stage,
      pick(SERVICE_LINES),
      random() < 0.9 ? pick(owners) : null,
      closed === "won" ? 50_000 + Math.floor(random() * 500_000) : null,
      channel,
      random() < 0.3 ? "email" : channel,
      campaign,
      createdAt,
      createdAt,
      responded ? createdAt + clockMinutes * 60_000 : null,
      createdAt,
      stalled ? createdAt + 14 * DAY_MS : null,
      stalled ? "no reply from the prospect for 14 days" : null,
      closed ? createdAt + 45 * DAY_MS : null,
      closeReason,
      londonDate.format(new Date(createdAt)),
      clockMinutes,
      responded ? Math.floor(clockMinutes * 0.3) : null,
      meeting,
      3 + Math.floor(random() * 4),
      random() < 0.2 ? 1 : 0,
    );

    touch.run(`tch_${id}_enquiry`, firm.id, id, "enquiry", channel, campaign, createdAt, createdAt);
    if (random() < 0.4) touch.run(`tch_${id}_visit`, firm.id, id, "visit", pick(CHANNELS), pick(CAMPAIGNS), createdAt - DAY_MS, createdAt);
    if (meeting) touch.run(`tch_${id}_booking`, firm.id, id, "booking", "booking", null, meeting, meeting);

    for (let a = 0; a < ACTIVITIES_PER_OPPORTUNITY; a++) {
      const at = createdAt + a * 3_600_000;
      activity.run(`act_${id}_${a}`, firm.id, id, contactId, a === 0 ? "enquiry.received" : "email.received", at, at);
    }
  }
  database.exec("COMMIT");
  return { opportunities, activities: firm.activities };
}

function percentile(sorted, fraction) {
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)];
}

const round = (ms) => Number(ms.toFixed(1));

const persistTo = mkdtempSync(join(tmpdir(), "plumbline-bench-reports-"));
let stack;
let failed = false;
try {
  const { DatabaseSync } = await import("node:sqlite");
  prepareLocalDatabase(persistTo);
  const database = openLocalD1(persistTo, DatabaseSync);
  const seeded = {};
  for (const firm of FIRMS) {
    const started = performance.now();
    seeded[firm.id] = { ...seedFirm(database, firm), seedSeconds: round((performance.now() - started) / 1000) };
  }
  database.exec("ANALYZE");
  database.close();

  const loadBefore = loadavg().map((load) => load.toFixed(2)).join(" ");
  stack = await startLocalStack({ apiPort: await freePort(), demoPort: await freePort(), host: "127.0.0.1", persistTo, quiet: true });

  const results = {};
  for (const report of REPORTS) {
    results[report] = {};
    const timings = Object.fromEntries(FIRMS.map((firm) => [firm.id, []]));
    const request = async (firm) => {
      const started = performance.now();
      const response = await fetch(`${stack.apiUrl}/v1/reports/${report}`, { headers: { authorization: `Bearer ${firm.apiKey}` } });
      const body = await response.text();
      const ms = performance.now() - started;
      if (!response.ok) throw new Error(`${report} for ${firm.id} failed with status ${response.status}: ${body.slice(0, 300)}`);
      return { ms, bytes: body.length };
    };
    for (const firm of FIRMS) for (let n = 0; n < WARMUP; n++) await request(firm);
    // The firms take turns, so load from other processes falls on both alike.
    let bytes = {};
    for (let n = 0; n < REQUESTS; n++) {
      for (const firm of FIRMS) {
        const result = await request(firm);
        timings[firm.id].push(result.ms);
        bytes[firm.id] = result.bytes;
      }
    }
    for (const firm of FIRMS) {
      const sorted = [...timings[firm.id]].sort((a, b) => a - b);
      results[report][firm.activities] = { p50Ms: round(percentile(sorted, 0.5)), p95Ms: round(percentile(sorted, 0.95)), maxMs: round(sorted.at(-1)), bytes: bytes[firm.id] };
    }
  }

  const worstP95 = Math.max(...Object.values(results).flatMap((byFirm) => Object.values(byFirm).map((timing) => timing.p95Ms)));
  console.log(
    JSON.stringify({
      name: "reports",
      requests: REQUESTS,
      warmup: WARMUP,
      firms: Object.values(seeded),
      results,
      goalP95Ms: 300,
      goalMet: worstP95 < 300,
      machine: { cpus: cpus().length, model: cpus()[0]?.model, loadBefore, loadAfter: loadavg().map((load) => load.toFixed(2)).join(" ") },
    }),
  );
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  await stack?.stop();
  rmSync(persistTo, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
}
process.exit(failed ? 1 : 0);
