// Throughput and latency of the enquiry endpoint under local workerd (`wrangler dev`), beside the trivial
// `/health` route of the same Worker in the same run, so the ratio shows what the enquiry path itself costs.
//
//   npm run bench -- --requests 2000 --concurrency 8
//
// The load comes from this Node process on loopback, so on a 2-core machine the client and workerd share the
// CPU; compare ratios rather than absolute numbers across machines.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { freePort } from "../test/browser/support.mjs";
import { startLocalStack } from "../scripts/local-stack.mjs";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "2000" },
    concurrency: { type: "string", default: "8" },
    warmup: { type: "string", default: "200" },
  },
});
const REQUESTS = Number(values.requests);
const CONCURRENCY = Number(values.concurrency);
const WARMUP = Number(values.warmup);

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Sends `count` requests made by `makeRequest(i)`, `concurrency` at a time, and returns timings in ms. */
async function load(count, concurrency, makeRequest) {
  const latencies = [];
  const statuses = {};
  let next = 0;
  const started = performance.now();

  async function worker() {
    while (next < count) {
      const index = next++;
      const { url, init } = makeRequest(index);
      const t0 = performance.now();
      const response = await fetch(url, init);
      await response.arrayBuffer();
      latencies.push(performance.now() - t0);
      statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    }
  }

  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    requests: count,
    statuses,
    throughputPerSecond: Math.round(count / seconds),
    p50Ms: Number(percentile(latencies, 50).toFixed(2)),
    p99Ms: Number(percentile(latencies, 99).toFixed(2)),
  };
}

const runId = Date.now().toString(36);
function enquiry(apiUrl, index) {
  return {
    url: `${apiUrl}/v1/forms/demo/submissions`,
    init: {
      method: "POST",
      headers: { "content-type": "application/json", origin: "http://localhost:4321" },
      body: JSON.stringify({
        submissionId: `bench-${runId}-${index}`,
        fields: {
          name: "Bench Prospect",
          email: `bench.${runId}.${index % 500}@example.com`,
          phone: "020 7946 0000",
          service: "family",
          message: "I would like advice about a separation and arrangements for our children.",
        },
        attribution: {
          firstTouch: { utm_source: "google", utm_medium: "cpc", gclid: "bench", landingPage: "http://localhost:4321/?gclid=bench" },
        },
        pageUrl: "http://localhost:4321/contact.html",
      }),
    },
  };
}

const persistTo = mkdtempSync(join(tmpdir(), "plumbline-bench-"));
const stack = await startLocalStack({
  apiPort: await freePort(),
  demoPort: await freePort(),
  dashboardPort: null,
  persistTo,
  quiet: true,
  // The demo form's rate limits would quarantine a benchmark's traffic, which is not the path measured here.
  extraSql: "UPDATE forms SET client_rate_limit_per_hour = 100000000, form_rate_limit_per_hour = 100000000 WHERE key = 'demo'",
});

try {
  const health = (index) => ({ url: `${stack.apiUrl}/health?i=${index}`, init: {} });
  await load(WARMUP, CONCURRENCY, health);
  await load(WARMUP, CONCURRENCY, (index) => enquiry(stack.apiUrl, REQUESTS + index));

  const trivial = await load(REQUESTS, CONCURRENCY, health);
  const enquiries = await load(REQUESTS, CONCURRENCY, (index) => enquiry(stack.apiUrl, index));

  console.log(
    JSON.stringify({
      name: "enquiry-throughput",
      concurrency: CONCURRENCY,
      health: trivial,
      enquiry: enquiries,
      ratio: {
        throughput: Number((enquiries.throughputPerSecond / trivial.throughputPerSecond).toFixed(3)),
        p50: Number((enquiries.p50Ms / trivial.p50Ms).toFixed(2)),
        p99: Number((enquiries.p99Ms / trivial.p99Ms).toFixed(2)),
      },
    }),
  );
  const failures = Object.entries(enquiries.statuses).filter(([status]) => status !== "201");
  if (failures.length > 0) {
    console.error(`enquiry-throughput: ${failures.map(([status, count]) => `${count} answered ${status}`).join(", ")}; the run is not a valid measurement`);
    process.exitCode = 1;
  }
} finally {
  await stack.stop();
  rmSync(persistTo, { recursive: true, force: true });
}
