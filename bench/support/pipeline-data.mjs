// Writes a large generated firm straight into the SQLite file that wrangler keeps for the local D1, for
// bench/pipeline.mjs. Loading through `wrangler d1 execute` would send every row through the Worker runtime. Writing
// the file with node:sqlite, while no wrangler process has it open, takes seconds instead. The schema
// comes from the real migrations, applied by wrangler before this runs, so the rows land in the same tables
// and indexes the API reads. Indexes of the big tables are dropped during the load and rebuilt from their
// stored SQL afterwards, which is quicker than keeping them up to date row by row.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";

export const BENCH_FIRM = "firm_bench";
export const BENCH_USER_EMAIL = "partner@hartley-moss.example";
const BENCH_USER = "user_demo_partner";

const DAY = 86_400_000;
const OPEN_STAGES = ["new", "acknowledged", "in_conversation", "meeting_booked", "meeting_held", "proposal_sent"];
const OPEN_STAGE_WEIGHTS = [15, 20, 25, 15, 10, 15];
const SERVICE_LINES = ["family-law", "property", "wills-probate", "employment", "commercial", null];
const SERVICE_LINE_WEIGHTS = [30, 25, 15, 12, 10, 8];
const CHANNELS = ["paid_search", "organic_search", "paid_social", "organic_social", "display", "email", "affiliate", "referral", "direct"];
const CHANNEL_WEIGHTS = [22, 25, 8, 5, 2, 4, 2, 14, 18];
const OWNER_COUNT = 12;
const UNASSIGNED_SHARE = 0.08;
const BIG_TABLES = ["contacts", "opportunities", "activities", "tasks", "outbound_messages"];
/** Timeline entries of the one opportunity the benchmark opens as its worst case; the page shows the newest 500. */
export const LONG_TIMELINE = 600;

/** Small seeded generator (mulberry32), so every run writes the same firm. */
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function weighted(next, values, weights) {
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  let pick = next() * total;
  for (let i = 0; i < values.length; i++) {
    pick -= weights[i];
    if (pick < 0) return values[i];
  }
  return values.at(-1);
}

/** Finds the D1 database file wrangler persists under `persistTo`: the one SQLite file that is not Miniflare's metadata. */
export function findD1File(persistTo) {
  const folder = join(persistTo, "v3", "d1", "miniflare-D1DatabaseObject");
  const files = readdirSync(folder).filter((name) => name.endsWith(".sqlite") && name !== "metadata.sqlite");
  if (files.length !== 1) throw new Error(`Expected one D1 database file in ${folder}, found ${files.length}: ${files.join(", ")}`);
  return join(folder, files[0]);
}

const pad = (value) => value.toString(36).padStart(6, "0");

/**
 * Shapes one opportunity from its age: young ones sit in open stages, most older ones are won or lost, and open
 * ones that have sat for more than ten days are stalled, half of them.
 */
function shapeOpportunity(next, ageMs) {
  const closedChance = Math.min(0.95, ageMs / (90 * DAY));
  const closed = next() < closedChance;
  let stage;
  if (closed) stage = next() < 0.35 ? "won" : "lost";
  else stage = weighted(next, OPEN_STAGES, OPEN_STAGE_WEIGHTS);
  const stalled = !closed && ageMs > 10 * DAY && next() < 0.5;
  const ownerRoll = next();
  const owner = ownerRoll < UNASSIGNED_SHARE ? null : `user_bench_${String(1 + Math.floor(Math.pow(next(), 1.6) * OWNER_COUNT)).padStart(2, "0")}`;
  let value = null;
  if (stage === "won") value = 50_000 + Math.floor(next() * 1_450_000);
  else if (stage === "proposal_sent" || stage === "meeting_held") value = 100_000 + Math.floor(next() * 900_000);
  return {
    stage,
    stalled,
    closed,
    owner,
    serviceLine: weighted(next, SERVICE_LINES, SERVICE_LINE_WEIGHTS),
    channel: weighted(next, CHANNELS, CHANNEL_WEIGHTS),
    value,
  };
}

/** Activity counts per opportunity: skewed, at least one each, summing to exactly `total`. */
function activityCounts(next, opportunities, total, longTimelineIndex) {
  const counts = new Array(opportunities).fill(0).map(() => 1 + Math.floor(-Math.log(1 - next()) * (total / opportunities - 1)));
  counts[longTimelineIndex] = LONG_TIMELINE;
  let sum = counts.reduce((a, b) => a + b, 0);
  while (sum < total) {
    const i = Math.floor(next() * opportunities);
    if (i === longTimelineIndex) continue;
    counts[i]++;
    sum++;
  }
  while (sum > total) {
    const i = Math.floor(next() * opportunities);
    if (i === longTimelineIndex || counts[i] <= 1) continue;
    counts[i]--;
    sum--;
  }
  return counts;
}

const ACTIVITY_TYPES = ["email.received", "email.replied", "acknowledgement_email.sent", "email.delivered", "email.opened", "task.completed", "meeting.booked"];
const ACTIVITY_WEIGHTS = [30, 30, 5, 15, 10, 7, 3];

/**
 * Copies the demo firm into a new firm with its own members, then writes `opportunities` opportunities with their
 * contacts, `activities` timeline entries, tasks and outbound messages. Returns row counts, the ids the
 * benchmark opens, and the time each part took.
 */
export function writeBenchFirm(file, { opportunities, activities, now, seed = 42 }) {
  const next = random(seed);
  const db = new DatabaseSync(file);
  const timings = {};
  let started = performance.now();
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -200000;");

  // The firm and its people: a copy of the demo firm's settings, the demo partner plus twelve owners.
  const firmColumns = db.prepare("SELECT name FROM pragma_table_info('firms')").all().map((row) => row.name);
  // The new firm's id, name and slug are bound; every other column is copied from the demo firm.
  const bound = new Set(["id", "name", "slug"]);
  const copied = firmColumns.map((name) => (bound.has(name) ? "?" : name)).join(", ");
  db.prepare(`INSERT INTO firms (${firmColumns.join(", ")}) SELECT ${copied} FROM firms WHERE id = 'firm_demo'`).run(BENCH_FIRM, "Bench & Partners LLP", "bench-partners");
  const insertUser = db.prepare("INSERT INTO users (id, email, name, created_at) VALUES (?, ?, ?, ?)");
  const insertMember = db.prepare("INSERT INTO memberships (firm_id, user_id, role, created_at) VALUES (?, ?, ?, ?)");
  const owners = [];
  db.exec("BEGIN");
  insertMember.run(BENCH_FIRM, BENCH_USER, "partner", now);
  for (let i = 1; i <= OWNER_COUNT; i++) {
    const id = `user_bench_${String(i).padStart(2, "0")}`;
    owners.push(id);
    insertUser.run(id, `owner${i}@bench-partners.example`, `Owner ${i}`, now);
    insertMember.run(BENCH_FIRM, id, "partner", now);
  }
  db.exec("COMMIT");

  // Drop the big tables' secondary indexes for the load; the primary keys stay.
  const indexes = db
    .prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (${BIG_TABLES.map(() => "?").join(", ")})`)
    .all(...BIG_TABLES);
  for (const index of indexes) db.exec(`DROP INDEX "${index.name}"`);

  const insertContact = db.prepare(
    "INSERT INTO contacts (id, firm_id, name, email, email_normalised, phone, phone_e164, company, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  );
  const insertOpportunity = db.prepare(`INSERT INTO opportunities (id, firm_id, contact_id, reference, stage, service_line, owner_user_id, value_minor,
    currency, origin, channel, last_touch_channel, utm_source, utm_medium, utm_campaign, referrer, landing_page, attribution, created_at, updated_at,
    first_response_at, last_activity_at, stalled_at, stalled_reason, closed_at, close_reason, stage_entered_at, last_prospect_activity_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'GBP', 'web_form', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const insertActivity = db.prepare(
    "INSERT INTO activities (id, firm_id, opportunity_id, contact_id, type, cause, origin, actor_user_id, occurred_at, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  );
  const insertTask = db.prepare(
    "INSERT INTO tasks (id, firm_id, opportunity_id, assignee_user_id, kind, title, status, due_at, reminder_count, completed_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)",
  );
  const insertMessage = db.prepare(`INSERT INTO outbound_messages (id, firm_id, opportunity_id, kind, channel, status, status_reason, recipient, provider,
    attempts, last_error, data, sent_at, created_at, updated_at) VALUES (?, ?, ?, 'acknowledgement_email', 'email', ?, ?, ?, 'local', ?, ?, '{}', ?, ?, ?)`);

  // Ages skew young: a firm's pipeline grows, so recent months hold more enquiries than old ones.
  const ages = Array.from({ length: opportunities }, () => Math.floor(Math.pow(next(), 1.6) * 3 * 365 * DAY)).sort((a, b) => b - a);
  // The long-timeline opportunity is an open one from about a month ago.
  const longTimelineIndex = ages.findIndex((age) => age < 30 * DAY);
  const counts = activityCounts(next, opportunities, activities, longTimelineIndex);
  timings.prepareMs = performance.now() - started;

  started = performance.now();
  const rows = { contacts: 0, opportunities: 0, activities: 0, tasks: 0, outboundMessages: 0 };
  const picks = { typical: null, longTimeline: null, busiestOwner: owners[0] };
  const contactIds = [];
  db.exec("BEGIN");
  for (let i = 0; i < opportunities; i++) {
    const createdAt = now - ages[i];
    const shape = shapeOpportunity(next, ages[i]);
    const id = `opp_bench_${pad(i)}`;

    // One in ten enquiries comes from someone who enquired before.
    let contactId;
    if (contactIds.length > 0 && next() < 0.1) contactId = contactIds[Math.floor(next() * contactIds.length)];
    else {
      contactId = `con_bench_${pad(i)}`;
      const email = `prospect.${i}@example.com`;
      insertContact.run(contactId, BENCH_FIRM, `Prospect ${i}`, email, email, next() < 0.6 ? "020 7946 0000" : null, null, next() < 0.2 ? "Client Co Ltd" : null, createdAt, createdAt);
      contactIds.push(contactId);
      rows.contacts++;
    }

    const lastActivityAt = Math.min(now, createdAt + Math.floor(next() * Math.min(ages[i], 60 * DAY)));
    const closedAt = shape.closed ? lastActivityAt : null;
    const utm = shape.channel === "paid_search" ? ["google", "cpc", "spring-campaign"] : shape.channel === "paid_social" ? ["facebook", "paid", "awareness"] : [null, null, null];
    insertOpportunity.run(
      id,
      BENCH_FIRM,
      contactId,
      `ENQ-B${pad(i).toUpperCase()}`,
      shape.stage,
      shape.serviceLine,
      shape.owner,
      shape.value,
      shape.channel,
      shape.channel,
      utm[0],
      utm[1],
      utm[2],
      shape.channel === "referral" ? "https://www.lawsociety.example/find-a-solicitor" : null,
      "https://www.hartley-moss.example/contact",
      JSON.stringify({ firstTouch: {}, lastTouch: {}, firstTouchReason: "generated", lastTouchReason: "generated" }),
      createdAt,
      lastActivityAt,
      createdAt + 3_600_000,
      lastActivityAt,
      shape.stalled ? createdAt + 10 * DAY : null,
      shape.stalled ? "stage_overdue" : null,
      closedAt,
      shape.stage === "lost" ? "no_reply" : null,
      createdAt,
      lastActivityAt,
    );
    rows.opportunities++;
    if (i === longTimelineIndex) picks.longTimeline = id;
    if (picks.typical === null && ages[i] < 20 * DAY && counts[i] >= 8 && counts[i] <= 12 && !shape.closed) picks.typical = id;

    // Timeline: the enquiry, then the rest spread between it and the last activity.
    const span = Math.max(1, lastActivityAt - createdAt);
    for (let k = 0; k < counts[i]; k++) {
      const type = k === 0 ? "enquiry.received" : weighted(next, ACTIVITY_TYPES, ACTIVITY_WEIGHTS);
      const at = k === 0 ? createdAt : createdAt + Math.floor((span * k) / counts[i]);
      const data = k === 0 ? '{"formName":"Contact form","message":"I would like some advice."}' : type.startsWith("email.") ? '{"subject":"Re: your enquiry"}' : "{}";
      insertActivity.run(`act_bench_${pad(i)}_${k.toString(36)}`, BENCH_FIRM, id, contactId, type, k === 0 ? "enquiry" : "evidence", "system", null, at, data, at);
      rows.activities++;
    }

    // The first-response task: open while the enquiry is new or acknowledged, done after that.
    const open = shape.stage === "new" || shape.stage === "acknowledged";
    insertTask.run(`task_bench_${pad(i)}`, BENCH_FIRM, id, shape.owner, "respond", "Respond to the enquiry", open ? "open" : "done", createdAt + 2 * 3_600_000, open ? null : createdAt + 3_600_000, createdAt, createdAt);
    rows.tasks++;
    if (!shape.closed && next() < 0.25) {
      insertTask.run(`task_bench_${pad(i)}_f`, BENCH_FIRM, id, shape.owner, "follow_up", "Follow up on the proposal", "open", lastActivityAt + 3 * DAY, null, lastActivityAt, lastActivityAt);
      rows.tasks++;
    }

    // The acknowledgement email; about one in a hundred failed.
    const failed = next() < 0.01;
    insertMessage.run(`msg_bench_${pad(i)}`, BENCH_FIRM, id, failed ? "failed" : "sent", failed ? "provider rejected" : null, `prospect.${i}@example.com`, failed ? 3 : 1, failed ? "550 mailbox unavailable" : null, failed ? null : createdAt + 60_000, createdAt, createdAt);
    rows.outboundMessages++;
  }
  db.exec("COMMIT");
  timings.rowsMs = performance.now() - started;

  started = performance.now();
  for (const index of indexes) db.exec(index.sql);
  timings.indexesMs = performance.now() - started;

  started = performance.now();
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  db.close();
  timings.checkpointMs = performance.now() - started;

  return { rows, picks, indexesRebuilt: indexes.length, timings };
}
