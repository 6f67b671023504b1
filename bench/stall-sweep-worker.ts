// A Worker used only by bench/stall-sweep.mjs. It runs the real stall sweep against a local D1 database whose
// binding it wraps in a counter, so the benchmark can report how many round trips one sweep makes as well as how
// long it takes. It is bundled by the benchmark and never deployed.
//
//   POST /seed?db=NAME&total=N&due=D&at=MS   one firm, one contact, N open opportunities of which D are due
//   POST /reset?db=NAME&total=N&due=D&at=MS  puts the D due rows back as seeded and removes the sweep's activities
//   POST /run?db=NAME&at=MS                  one sweep at `at`; returns its time, its queries and the SQL it sent
//   POST /check?db=NAME&total=N&due=D&at=MS  which rows the sweep at `at` changed
//   POST /explain?db=NAME                    the query plan of the SQL and parameters in the JSON body
import { createDatabase } from "@plumbline/db";
import type { Logger } from "../apps/api/src/logger";
import { STALL_BATCH, runStallSweep } from "../apps/api/src/cron/stalls";

const DAY_MS = 86_400_000;

interface Counts {
  /** Calls to `prepare`, whether or not the statement then ran on its own. */
  prepares: number;
  /** Round trips to D1: a statement run on its own, a `batch` or an `exec` each count once. */
  queries: number;
  /** SQL statements D1 ran: a batch counts each statement in it. */
  statements: number;
  batches: number;
  execs: number;
  /** The statements in the order they ran, so the benchmark can explain the first one with its real parameters. */
  log: { sql: string; params: unknown[] }[];
}

function newCounts(): Counts {
  return { prepares: 0, queries: 0, statements: 0, batches: 0, execs: 0, log: [] };
}

/**
 * Wraps a D1 binding so that every query made through it is counted. Prepared statements are wrapped in plain
 * objects, so `batch` maps each wrapper back to the statement D1 made before passing the list on.
 */
function countingD1(d1: D1Database, counts: Counts): D1Database {
  const real = new WeakMap<object, D1PreparedStatement>();

  const wrap = (statement: D1PreparedStatement, sql: string, params: unknown[]): D1PreparedStatement => {
    const ran = () => {
      counts.queries++;
      counts.statements++;
      counts.log.push({ sql, params });
    };
    const wrapper = {
      bind: (...values: unknown[]) => wrap(statement.bind(...values), sql, values),
      first: (column?: string) => {
        ran();
        return column === undefined ? statement.first() : statement.first(column);
      },
      all: () => {
        ran();
        return statement.all();
      },
      run: () => {
        ran();
        return statement.run();
      },
      raw: (options?: { columnNames?: boolean }) => {
        ran();
        return options?.columnNames ? statement.raw({ columnNames: true }) : statement.raw();
      },
    };
    real.set(wrapper, statement);
    return wrapper as unknown as D1PreparedStatement;
  };

  const counted = {
    prepare: (sql: string) => {
      counts.prepares++;
      return wrap(d1.prepare(sql), sql, []);
    },
    batch: (statements: D1PreparedStatement[]) => {
      counts.queries++;
      counts.batches++;
      counts.statements += statements.length;
      return d1.batch(statements.map((statement) => real.get(statement) ?? statement));
    },
    exec: (sql: string) => {
      counts.queries++;
      counts.execs++;
      counts.statements++;
      return d1.exec(sql);
    },
  };
  return counted as unknown as D1Database;
}

/** Returns a logger that keeps event names in `lines` instead of printing, so the benchmark's output stays one JSON line. */
function quietLogger(lines: string[]): Logger {
  const logger: Logger = {
    info: (event) => void lines.push(event),
    warn: (event) => void lines.push(event),
    error: (event) => void lines.push(event),
    with: () => logger,
  };
  return logger;
}

interface Shape {
  total: number;
  due: number;
  at: number;
}

const FIRM_ID = "firm_bench_stall_sweep";
const CONTACT_ID = "con_bench_stall_sweep";

// Row n (1..total) is due when n is a multiple of total / due, which spreads the due rows through the table
// instead of putting them all at one end of it.
const rowNumber = (column = "id") => `CAST(substr(${column}, 13) AS INTEGER)`;
const isDue = (step: number, column = "id") => `(${rowNumber(column)} % ${step} = 0)`;

/** Builds the SQL for row `n`'s seeded check time: in the past for due rows, spread over the coming days for the rest. */
function seededCheckAt(n: string, step: number, at: number): string {
  return `CASE WHEN ${n} % ${step} = 0 THEN ${at - 60_000} - ${n} ELSE ${at + 3_600_000} + ${n} * 1000 END`;
}

/**
 * Returns the attribution JSON the enquiry path stores for a prospect who first came from a Google Ads click and
 * enquired on a later visit from organic search (about 460 bytes).
 */
function attributionTemplate(at: number): string {
  const firstTouch = {
    utm_source: "google",
    utm_medium: "cpc",
    utm_campaign: "family-law",
    gclid: "EAIaIQobChMI_GCLID_",
    landingPage: "https://www.example-law.co.uk/family/?gclid=EAIaIQobChMI_GCLID_",
    at: new Date(at - 12 * DAY_MS).toISOString(),
  };
  const lastTouch = {
    referrer: "https://www.google.co.uk/",
    landingPage: "https://www.example-law.co.uk/contact/",
    at: new Date(at - 10 * DAY_MS - 600_000).toISOString(),
  };
  return JSON.stringify({
    firstTouch,
    lastTouch,
    firstTouchReason: "gclid present",
    lastTouchReason: "referrer google.co.uk (search engine)",
  });
}

function stepOf(shape: Shape): number {
  if (shape.due < 1 || shape.total % shape.due !== 0) {
    throw new Error(`invalid data set: total (${shape.total}) must be a multiple of due (${shape.due})`);
  }
  return shape.total / shape.due;
}

async function seed(d1: D1Database, shape: Shape) {
  const step = stepOf(shape);
  const tenDaysAgo = shape.at - 10 * DAY_MS;
  await d1.batch([
    d1
      .prepare("INSERT INTO firms (id, name, slug, working_hours, created_at, updated_at) VALUES (?, ?, ?, '[]', ?, ?)")
      .bind(FIRM_ID, "Bench & Co Solicitors", "bench-stall-sweep", tenDaysAgo, tenDaysAgo),
    d1
      .prepare("INSERT INTO contacts (id, firm_id, name, email, email_normalised, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .bind(CONTACT_ID, FIRM_ID, "Bench Prospect", "bench.prospect@example.com", "bench.prospect@example.com", tenDaysAgo, tenDaysAgo),
  ]);

  // One INSERT ... SELECT builds every row inside SQLite, in place of one round trip per row from Node.
  // The id ends in the row number (zero-padded to the length of a real id), which the checks below read back.
  const started = Date.now();
  const inserted = await d1
    .prepare(
      `INSERT INTO opportunities (
        id, firm_id, contact_id, reference, stage, service_line, currency, origin, channel, last_touch_channel,
        utm_source, utm_medium, utm_campaign, landing_page, attribution, created_at, updated_at, last_activity_at,
        reply_token, stage_entered_at, last_prospect_activity_at, next_stall_check_at)
      WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?1)
      SELECT
        printf('opp_01kbench%014d', n), ?2, ?3, printf('ENQ-%04d-%04d', n / 10000, n % 10000), 'acknowledged',
        'family', 'GBP', 'web_form', 'paid_search', 'organic_search', 'google', 'cpc', 'family-law',
        'https://www.example-law.co.uk/family/', replace(?4, '_GCLID_', printf('%08d', n)),
        ?5, ?5, ?5, printf('rt_%029d', n), ?5, ?5, ${seededCheckAt("n", step, shape.at)}
      FROM seq`,
    )
    .bind(shape.total, FIRM_ID, CONTACT_ID, attributionTemplate(shape.at), tenDaysAgo)
    .run();
  const sizes = await d1
    .prepare("SELECT count(*) AS rows, avg(length(attribution)) AS attributionBytes FROM opportunities")
    .first<{ rows: number; attributionBytes: number }>();
  return { inserted: inserted.meta.changes, seedMs: Date.now() - started, ...sizes };
}

/** Returns the due rows to how they were seeded and removes what the sweep wrote, so the next run starts fresh. */
async function reset(d1: D1Database, shape: Shape) {
  const step = stepOf(shape);
  const [restored, removed] = await d1.batch([
    d1.prepare(
      `UPDATE opportunities SET stalled_at = NULL, stalled_reason = NULL,
        next_stall_check_at = ${seededCheckAt(rowNumber(), step, shape.at)}
      WHERE ${isDue(step)}`,
    ),
    d1.prepare("DELETE FROM activities WHERE origin = 'stall-sweep'"),
  ]);
  return { restored: restored!.meta.changes, activitiesRemoved: removed!.meta.changes };
}

async function run(d1: D1Database, at: number) {
  const counts = newCounts();
  const logged: string[] = [];
  const db = createDatabase(countingD1(d1, counts));
  const started = performance.now();
  await runStallSweep(db, quietLogger(logged), new Date(at));
  const ms = performance.now() - started;
  const distinctSql = new Set(counts.log.map((entry) => entry.sql)).size;
  return {
    ms,
    batchLimit: STALL_BATCH,
    queries: counts.queries,
    statements: counts.statements,
    prepares: counts.prepares,
    batches: counts.batches,
    execs: counts.execs,
    distinctSql,
    logged,
    first: counts.log[0] ?? null,
  };
}

/** Compares every row with what it was seeded as, and with what the sweep at `at` should have made of it. */
async function check(d1: D1Database, shape: Shape) {
  const step = stepOf(shape);
  const tenDaysAgo = shape.at - 10 * DAY_MS;
  const result = await d1
    .prepare(
      `SELECT
        count(*) AS rows,
        sum(${isDue(step)}) AS due,
        sum(${isDue(step)} AND stalled_at = ?1 AND stalled_reason IS NOT NULL AND next_stall_check_at > ?1) AS dueStalled,
        sum(NOT ${isDue(step)} AND (
          stalled_at IS NOT NULL OR stalled_reason IS NOT NULL OR closed_at IS NOT NULL OR stage <> 'acknowledged'
          OR updated_at <> ?2 OR stage_entered_at <> ?2 OR last_activity_at <> ?2
          OR next_stall_check_at IS NOT ${seededCheckAt(rowNumber(), step, shape.at)}
        )) AS otherChanged
      FROM opportunities`,
    )
    .bind(shape.at, tenDaysAgo)
    .first<{ rows: number; due: number; dueStalled: number; otherChanged: number }>();
  const activities = await d1
    .prepare(
      `SELECT count(*) AS total, count(DISTINCT a.opportunity_id) AS opportunities,
        sum(a.type = 'opportunity.stalled' AND ${isDue(step, "o.id")}) AS onDueRows
      FROM activities a LEFT JOIN opportunities o ON o.id = a.opportunity_id`,
    )
    .first<{ total: number; opportunities: number; onDueRows: number | null }>();
  return { ...result!, activities: activities! };
}

/**
 * Returns the plan SQLite picks for a query the sweep sent, with the parameters it bound, and D1's count of the
 * rows read to run it. The benchmark calls this with the sweep's first query while the due rows are due.
 */
async function explain(d1: D1Database, query: { sql: string; params: unknown[] }) {
  const plan = await d1
    .prepare(`EXPLAIN QUERY PLAN ${query.sql}`)
    .bind(...query.params)
    .all<{ detail: string }>();
  // The query on its own, a few times, because its time is lost among the sweep's hundreds of round trips.
  const times: number[] = [];
  let result: D1Result | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    const started = performance.now();
    result = await d1
      .prepare(query.sql)
      .bind(...query.params)
      .all();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return {
    plan: plan.results.map((row) => row.detail),
    rowsRead: result!.meta.rows_read ?? null,
    rowsReturned: result!.results.length,
    medianMs: times[2],
  };
}

function number(url: URL, name: string): number {
  const raw = url.searchParams.get(name);
  const value = Number(raw);
  if (raw === null || raw === "" || !Number.isFinite(value)) {
    throw new Error(`invalid query parameter ${name}: expected a number, got ${JSON.stringify(raw)}`);
  }
  return value;
}

export default {
  async fetch(request: Request, env: Record<string, unknown>): Promise<Response> {
    const url = new URL(request.url);
    if (request.method !== "POST") return new Response("POST only", { status: 405 });
    const binding = env[url.searchParams.get("db") ?? ""] as D1Database | undefined;
    if (!binding || typeof binding.prepare !== "function") return new Response("unknown db", { status: 400 });

    try {
      const at = () => number(url, "at");
      const shape = (): Shape => ({ total: number(url, "total"), due: number(url, "due"), at: at() });
      switch (url.pathname) {
        case "/seed":
          return Response.json(await seed(binding, shape()));
        case "/reset":
          return Response.json(await reset(binding, shape()));
        case "/run":
          return Response.json(await run(binding, at()));
        case "/check":
          return Response.json(await check(binding, shape()));
        case "/explain":
          return Response.json(await explain(binding, (await request.json()) as { sql: string; params: unknown[] }));
        default:
          return new Response("not found", { status: 404 });
      }
    } catch (error) {
      console.error(`stall-sweep-worker: ${url.pathname}${url.search} failed`, error);
      return new Response(error instanceof Error ? (error.stack ?? error.message) : String(error), { status: 500 });
    }
  },
};
