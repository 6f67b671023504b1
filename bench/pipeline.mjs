// Server response time of the dashboard's pipeline and opportunity pages, and of the API calls behind them, for a
// firm with 100,000 opportunities and 1,000,000 timeline entries.
//
//   BENCH=pipeline npm run bench
//   node_modules/.bin/node bench/pipeline.mjs --requests 30 --warmup 5
//
// Steps, each timed: wrangler applies the migrations and the demo seed to a fresh local D1 in a scratch folder.
// bench/support/pipeline-data.mjs writes the generated firm into that D1's SQLite file. The local stack starts
// (API and dashboard under wrangler dev, as `npm start` runs them). The demo partner signs in through a sign-in
// link from the local outbox, as a person would. Then every target gets `--warmup` untimed requests and
// `--requests` timed ones. Targets take turns, one request each, so load from other processes falls on all alike.
// A response time is from sending the request to reading the last byte of the body, on loopback.
//
// Exits 1 when a target returns a status other than 200 or its body lacks what the page must show. Times are reported,
// with the 200 ms goal beside them, not judged.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ROOT, prepareLocalDatabase, startLocalStack } from "../scripts/local-stack.mjs";
import { freePort } from "../test/browser/support.mjs";
import { BENCH_FIRM, BENCH_USER_EMAIL, LONG_TIMELINE, findD1File, writeBenchFirm } from "./support/pipeline-data.mjs";

// Not strict: `npm run bench -- ...` passes the same arguments to every benchmark.
const { values } = parseArgs({
  strict: false,
  options: {
    requests: { type: "string", default: "30" },
    warmup: { type: "string", default: "5" },
    opportunities: { type: "string", default: "100000" },
    activities: { type: "string", default: "1000000" },
  },
});
const REQUESTS = Number(values.requests);
const WARMUP = Number(values.warmup);
const GOAL_MS = 200;

const round = (ms) => Number(ms.toFixed(1));

function percentile(sorted, fraction) {
  const index = Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1);
  return sorted[Math.max(0, index)];
}

/** Signs the demo partner in the way the dashboard does: a link by email (the local outbox), spent for a session. */
async function signIn(apiUrl) {
  const requested = await fetch(`${apiUrl}/v1/auth/sign-in-links`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: BENCH_USER_EMAIL, next: "/" }),
  });
  if (requested.status !== 202) throw new Error(`Requesting a sign-in link returned ${requested.status}: ${await requested.text()}`);

  // The API sends the email after its response, so the outbox is read again for up to ten seconds.
  const deadline = Date.now() + 10_000;
  let token = null;
  while (!token && Date.now() < deadline) {
    const outbox = await (await fetch(`${apiUrl}/dev/outbox`)).text();
    token = /verify\?token=([A-Za-z0-9_-]{20,})/.exec(outbox)?.[1] ?? null;
    if (!token) await new Promise((resolve) => setTimeout(resolve, 250));
  }
  if (!token) throw new Error(`No sign-in link for ${BENCH_USER_EMAIL} reached the local outbox within 10 s.`);

  const created = await fetch(`${apiUrl}/v1/auth/sessions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token }) });
  if (created.status !== 201) throw new Error(`Spending the sign-in link returned ${created.status}: ${await created.text()}`);
  return (await created.json()).session.token;
}

/** Sends one request and returns its time to the last byte, with the status and body for the checks. */
async function timed(target) {
  const started = performance.now();
  const response = await fetch(target.url, { headers: target.headers, redirect: "manual" });
  const body = await response.text();
  return { ms: performance.now() - started, status: response.status, body };
}

const scratch = mkdtempSync(join(tmpdir(), "plumbline-pipeline-bench-"));
let stack;
let failed = false;
try {
  const load = {};
  let started = performance.now();
  prepareLocalDatabase(scratch);
  load.migrateAndSeedMs = performance.now() - started;

  started = performance.now();
  const generated = writeBenchFirm(findD1File(scratch), {
    opportunities: Number(values.opportunities),
    activities: Number(values.activities),
    now: Date.now(),
  });
  load.generateMs = performance.now() - started;

  started = performance.now();
  stack = await startLocalStack({ apiPort: await freePort(), dashboardPort: await freePort(), demoPort: await freePort(), persistTo: scratch, quiet: true });
  load.stackStartMs = performance.now() - started;

  const session = await signIn(stack.apiUrl);
  const api = { authorization: `Bearer ${session}`, "x-plumbline-firm": BENCH_FIRM };
  const page = { cookie: `pl_session=${session}` };
  const { typical, longTimeline, busiestOwner } = generated.picks;
  const firmPath = `${stack.dashboardUrl}/firms/${BENCH_FIRM}`;

  // `expect` is text the body must contain, so a fast error page cannot pass for a fast page.
  const targets = [
    { name: "page: pipeline", url: `${firmPath}/pipeline`, headers: page, expect: 'class="card' },
    { name: "page: pipeline, owner filter", url: `${firmPath}/pipeline?owner=${busiestOwner}`, headers: page, expect: 'class="card' },
    { name: "page: pipeline, service line + stalled", url: `${firmPath}/pipeline?serviceLine=property&stalled=stalled`, headers: page, expect: 'class="card' },
    { name: "page: opportunity", url: `${firmPath}/opportunities/${typical}`, headers: page, expect: "Prospect " },
    { name: `page: opportunity, ${LONG_TIMELINE}-entry timeline`, url: `${firmPath}/opportunities/${longTimeline}`, headers: page, expect: "Prospect " },
    { name: "api: /v1/opportunities/board?limit=25", url: `${stack.apiUrl}/v1/opportunities/board?limit=25`, headers: api, expect: '"opportunities"' },
    { name: "api: /v1/opportunities/board?owner=…&limit=25", url: `${stack.apiUrl}/v1/opportunities/board?owner=${busiestOwner}&limit=25`, headers: api, expect: '"opportunities"' },
    { name: "api: /v1/opportunities/summary", url: `${stack.apiUrl}/v1/opportunities/summary`, headers: api, expect: '"stages"' },
    { name: "api: /v1/opportunities/summary?owner=…", url: `${stack.apiUrl}/v1/opportunities/summary?owner=${busiestOwner}`, headers: api, expect: '"stages"' },
    { name: "api: /v1/opportunities?stage=new&limit=100", url: `${stack.apiUrl}/v1/opportunities?stage=new&limit=100`, headers: api, expect: '"contact"' },
    { name: "api: /v1/opportunities?stage=lost&limit=100", url: `${stack.apiUrl}/v1/opportunities?stage=lost&limit=100`, headers: api, expect: '"contact"' },
    { name: "api: /v1/opportunities?stage=lost&owner=…&limit=100", url: `${stack.apiUrl}/v1/opportunities?stage=lost&owner=${busiestOwner}&limit=100`, headers: api, expect: '"contact"' },
    { name: "api: /v1/opportunities/{id}", url: `${stack.apiUrl}/v1/opportunities/${typical}`, headers: api, expect: '"timeline"' },
    { name: "api: /v1/tasks?opportunityId=…", url: `${stack.apiUrl}/v1/tasks?status=open&opportunityId=${typical}&limit=100`, headers: api, expect: '"data"' },
    { name: "api: /v1/me", url: `${stack.apiUrl}/v1/me`, headers: { authorization: `Bearer ${session}` }, expect: BENCH_FIRM },
  ];

  const times = new Map(targets.map((target) => [target, []]));
  const problems = [];
  for (let round_ = 0; round_ < WARMUP + REQUESTS; round_++) {
    for (const target of targets) {
      const result = await timed(target);
      if (result.status !== 200 || !result.body.includes(target.expect)) {
        problems.push(`${target.name}: status ${result.status}, ${result.body.includes(target.expect) ? "" : `no "${target.expect}" in the body, `}${result.body.slice(0, 200)}`);
        continue;
      }
      if (round_ >= WARMUP) times.get(target).push(result.ms);
    }
  }

  const results = targets.map((target) => {
    const sorted = [...times.get(target)].sort((a, b) => a - b);
    const p50 = sorted.length ? round(percentile(sorted, 0.5)) : null;
    const p95 = sorted.length ? round(percentile(sorted, 0.95)) : null;
    return { target: target.name, requests: sorted.length, p50Ms: p50, p95Ms: p95, maxMs: sorted.length ? round(sorted.at(-1)) : null, underGoal: p95 !== null && p95 < GOAL_MS };
  });

  console.log(
    JSON.stringify({
      name: "pipeline",
      requests: REQUESTS,
      warmup: WARMUP,
      goalMs: GOAL_MS,
      data: { ...generated.rows, indexesRebuilt: generated.indexesRebuilt },
      loadMs: {
        migrateAndSeed: round(load.migrateAndSeedMs),
        generate: round(load.generateMs),
        generateParts: Object.fromEntries(Object.entries(generated.timings).map(([part, ms]) => [part, round(ms)])),
        stackStart: round(load.stackStartMs),
      },
      results,
      problems: problems.slice(0, 10),
      machine: {
        cpu: cpus()[0]?.model,
        cpus: cpus().length,
        memoryGb: round(totalmem() / 2 ** 30),
        loadavg: loadavg().map((value) => Number(value.toFixed(2))),
        node: process.version,
        workerd: JSON.parse(readFileSync(join(ROOT, "node_modules/workerd/package.json"), "utf8")).version,
      },
    }),
  );
  for (const result of results) {
    console.error(`${result.target.padEnd(56)} p50 ${String(result.p50Ms).padStart(7)} ms  p95 ${String(result.p95Ms).padStart(7)} ms`);
  }
  if (problems.length > 0) {
    console.error(`pipeline: ${problems.length} responses failed their checks. The first: ${problems[0]}`);
    failed = true;
  }
} finally {
  await stack?.stop();
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
