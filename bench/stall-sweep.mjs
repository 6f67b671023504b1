// Cost of one stall sweep as the number of open opportunities grows while the number due stays the same: 100 due
// among 1,000 open beside 100 due among 100,000 open, in one run. The sweep reads due opportunities through the
// index on next_stall_check_at, so its queries and its time should follow the due rows, not the table.
//
//   node_modules/.bin/node bench/stall-sweep.mjs --runs 5
//
// The real runStallSweep runs in workerd (through Miniflare) against local D1 databases built from
// migrations/*.sql. bench/stall-sweep-worker.ts wraps the D1 binding to count the sweep's queries and times the
// sweep inside the Worker. Each size gets one untimed warm-up sweep, then `--runs` timed ones. Before each sweep the
// due rows are put back as seeded, and after it every row is checked. The two sizes take turns so that load from
// other processes falls on both alike.
//
// Exits 1 when the two sizes need different numbers of queries, or when D1 reads a different number of rows for the
// due-opportunity query (either means the sweep reads more than the due rows), or when a sweep changed anything
// other than stalling exactly the due rows. Times are reported, not judged. The rows-read check is there because
// the query count alone stays the same without the index: the read then scans the table in one query.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { Miniflare, convertV4MiniflareOptions } from "miniflare";

// Not strict: `npm run bench -- ...` passes the same arguments to every benchmark.
const { values } = parseArgs({
  strict: false,
  options: {
    runs: { type: "string", default: "5" },
    due: { type: "string", default: "100" },
    "timeout-seconds": { type: "string", default: "300" },
  },
});
const RUNS = Number(values.runs);
const DUE = Number(values.due);
const TIMEOUT_MS = Number(values["timeout-seconds"]) * 1000;
const SIZES = [
  { binding: "OPEN_1K", open: 1_000 },
  { binding: "OPEN_100K", open: 100_000 },
];
const INDEX = "opportunities_next_stall_check_idx";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const scratch = mkdtempSync(join(tmpdir(), "plumbline-stall-bench-"));

function median(numbers) {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const round = (ms) => Number(ms.toFixed(2));

/** Reads each migration file's statements, files in name order, split on drizzle-kit's breakpoint marker. */
function migrationBatches() {
  const folder = join(root, "migrations");
  return readdirSync(folder)
    .filter((name) => name.endsWith(".sql"))
    .sort()
    .map((name) => ({
      name,
      statements: readFileSync(join(folder, name), "utf8")
        .split("--> statement-breakpoint")
        .map((statement) => statement.trim())
        .filter(Boolean),
    }));
}

async function bundleWorker() {
  const outfile = join(scratch, "stall-sweep-worker.mjs");
  await build({
    entryPoints: [join(root, "bench/stall-sweep-worker.ts")],
    outfile,
    bundle: true,
    format: "esm",
    platform: "neutral",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    target: "es2022",
    external: ["node:*", "cloudflare:*"],
    logLevel: "silent",
  });
  return outfile;
}

let failed = false;
let mf;
// The try starts before Miniflare does, so a failed bundle or start still removes the scratch folder.
try {
  // This Miniflare is a 5.x beta whose constructor takes a new shape of options. convertV4MiniflareOptions accepts
  // the 4.x shape its README documents and leaves the dev registry off, so other Miniflare sessions cannot see it.
  mf = new Miniflare(
    convertV4MiniflareOptions({
      modules: true,
      scriptPath: await bundleWorker(),
      // Module names are paths relative to this root, and workerd rejects one that climbs out of it with "..".
      modulesRoot: scratch,
      compatibilityDate: "2026-11-01",
      compatibilityFlags: ["nodejs_compat"],
      d1Databases: Object.fromEntries(SIZES.map((size) => [size.binding, `stall-sweep-${size.open}`])),
      host: "127.0.0.1",
      port: 0,
      resourcePersistencePath: join(scratch, "state"),
    }),
  );

  /** Calls the bench Worker and returns its JSON, failing loudly with the Worker's error text. */
  async function call(path, query, body) {
    const url = new URL(path, "http://bench.local");
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, String(value));
    const response = await mf.dispatchFetch(url, {
      method: "POST",
      ...(body ? { body: JSON.stringify(body), headers: { "content-type": "application/json" } } : {}),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${path}${url.search} failed with status ${response.status}: ${text}`);
    return JSON.parse(text);
  }

  // Wall-clock "now" of the sweeps; rows are seeded relative to it, so the runs do not depend on the real clock.
  const at = Date.UTC(2026, 10, 16, 9, 0, 0);
  const migrations = migrationBatches();
  const sets = [];
  for (const size of SIZES) {
    const d1 = await mf.getD1Database(size.binding);
    for (const migration of migrations) await d1.batch(migration.statements.map((statement) => d1.prepare(statement)));
    const shape = { db: size.binding, total: size.open, due: DUE, at };
    const seed = await call("/seed", shape);
    sets.push({ size, shape, seed, runs: [], checks: [], dueQuery: null });
  }

  // One sweep per size before timing, so the first timed sweep does not also pay for compiling the code.
  for (const set of sets) {
    await call("/reset", set.shape);
    await call("/run", { db: set.shape.db, at });
  }

  for (let run = 0; run < RUNS; run++) {
    for (const set of sets) {
      await call("/reset", set.shape);
      const started = performance.now();
      const result = await call("/run", { db: set.shape.db, at });
      result.requestMs = performance.now() - started;
      set.runs.push(result);
      set.dueQuery ??= result.first;
      set.checks.push(await call("/check", set.shape));
    }
  }

  // Explained while the due rows are due, so D1's rows-read count is for a read that finds all of them.
  for (const set of sets) {
    await call("/reset", set.shape);
    set.explained = await call("/explain", { db: set.shape.db }, set.dueQuery);
  }

  const report = sets.map((set) => {
    const ms = set.runs.map((run) => run.ms);
    const queries = [...new Set(set.runs.map((run) => run.queries))];
    const statements = [...new Set(set.runs.map((run) => run.statements))];
    const passed = set.checks.filter(
      (check) =>
        check.rows === set.shape.total &&
        check.due === DUE &&
        check.dueStalled === DUE &&
        check.otherChanged === 0 &&
        check.activities.total === DUE &&
        check.activities.opportunities === DUE &&
        check.activities.onDueRows === DUE,
    ).length;
    const last = set.checks.at(-1);
    return {
      open: set.shape.total,
      due: DUE,
      seed: { rows: set.seed.rows, attributionBytes: Math.round(set.seed.attributionBytes), ms: set.seed.seedMs },
      sweepMs: { median: round(median(ms)), max: round(Math.max(...ms)), all: ms.map(round) },
      requestMs: { median: round(median(set.runs.map((run) => run.requestMs))) },
      queries: queries.length === 1 ? queries[0] : queries,
      statements: statements.length === 1 ? statements[0] : statements,
      distinctSql: set.runs[0].distinctSql,
      batchLimit: set.runs[0].batchLimit,
      check: {
        passedRuns: passed,
        runs: set.checks.length,
        dueStalled: last.dueStalled,
        otherRowsChanged: last.otherChanged,
        stalledActivities: last.activities.onDueRows,
      },
      dueQuery: {
        usesIndex: set.explained.plan.some((detail) => detail.includes(INDEX)),
        plan: set.explained.plan,
        rowsRead: set.explained.rowsRead,
        rowsReturned: set.explained.rowsReturned,
        medianMs: round(set.explained.medianMs),
      },
    };
  });

  const [small, large] = report;
  const sameQueries = typeof small.queries === "number" && small.queries === large.queries;
  const sameRowsRead = small.dueQuery.rowsRead !== null && small.dueQuery.rowsRead === large.dueQuery.rowsRead;
  const checksPassed = report.every((set) => set.check.passedRuns === set.check.runs);
  console.log(
    JSON.stringify({
      name: "stall-sweep",
      runs: RUNS,
      warmupRuns: 1,
      sets: report,
      largeOverSmall: {
        medianMs: round(large.sweepMs.median / small.sweepMs.median),
        dueQueryMedianMs: round(large.dueQuery.medianMs / small.dueQuery.medianMs),
        dueQueryRowsRead: small.dueQuery.rowsRead && large.dueQuery.rowsRead ? round(large.dueQuery.rowsRead / small.dueQuery.rowsRead) : null,
      },
      sameQueries,
      sameRowsRead,
      checksPassed,
      machine: {
        cpus: cpus().length,
        loadavg: loadavg().map((load) => Number(load.toFixed(2))),
        node: process.version,
        workerd: JSON.parse(readFileSync(join(root, "node_modules/workerd/package.json"), "utf8")).version,
      },
    }),
  );

  if (!sameQueries) {
    console.error(
      `stall-sweep: query counts differ: ${JSON.stringify(small.queries)} with ${small.open} open, ${JSON.stringify(large.queries)} with ${large.open} open. The sweep should read only the due rows.`,
    );
    failed = true;
  }
  if (!sameRowsRead) {
    console.error(
      `stall-sweep: the due-opportunity query read ${small.dueQuery.rowsRead} rows with ${small.open} open and ${large.dueQuery.rowsRead} with ${large.open} open. Check that it uses ${INDEX}.`,
    );
    failed = true;
  }
  if (!checksPassed) {
    console.error("stall-sweep: a sweep did not stall exactly the due rows, or it changed another row. See sets[].check in the output.");
    failed = true;
  }
} finally {
  await mf?.dispose();
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
