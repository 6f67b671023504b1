// Time from an enquiry's 201 to its follow-ups leaving Plumbline: the acknowledgement email accepted by the mail
// provider and the partner alert received by the chat webhook, for a burst of enquiries to the demo form.
//
//   node_modules/.bin/node bench/follow-up-latency.mjs --enquiries 100 --concurrency 20
//
// The Worker runs under `wrangler dev` with the firm's default mail integration (Postmark) and chat integration
// (a Slack incoming webhook) pointed at fakes that this process serves on 127.0.0.1, so every clock reading
// comes from one process. The Worker sends a webhook at most one message a second and folds a burst into
// digests, so the number of Slack requests is reported beside the latencies.
//
// NOTE: under `wrangler dev`, Miniflare's queue broker dispatches one batch at a time, while Cloudflare can run
// several consumer invocations at once. Local numbers therefore show a single consumer draining the burst.
import { webcrypto } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { freePort } from "../test/browser/support.mjs";
import { readDevVars, startLocalStack } from "../scripts/local-stack.mjs";

// Not strict: `npm run bench -- ...` passes the same arguments to every benchmark.
const { values } = parseArgs({
  strict: false,
  options: {
    enquiries: { type: "string", default: "100" },
    concurrency: { type: "string", default: "20" },
    warmup: { type: "string", default: "3" },
    "timeout-seconds": { type: "string", default: "120" },
  },
});
const ENQUIRIES = Number(values.enquiries);
const CONCURRENCY = Number(values.concurrency);
const WARMUP = Number(values.warmup);
const TIMEOUT_MS = Number(values["timeout-seconds"]) * 1000;
const GOAL_P95_MS = 5000;
const ORIGIN = "http://localhost:4321";
const SLACK_PATH = "/slack/services/T0/B0/bench";
const REFERENCE = /ENQ-[0-9A-Z]{4}-[0-9A-Z]{4}/g;
// `wrangler dev` reloads the Worker when a source file changes, and a reload can lose the local queue's
// in-memory messages. A run during which anyone edits the code is therefore not a measurement.
const RELOAD_LINE = /Reloading local server/g;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------------------------
// Fake providers. Arrival times are taken once the whole request body has been read, just before the success
// response, which is the moment the provider would count the message as accepted.

/** Emails and chat messages seen by the fakes, in arrival order. */
const arrivals = { emails: [], slack: [] };

function readBody(request) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

function respond(response, status, type, body) {
  response.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
  response.end(body);
}

async function handleProvider(request, response) {
  const path = new URL(request.url ?? "/", "http://fake.invalid").pathname;
  if (request.method !== "POST") return respond(response, 405, "text/plain", "method not allowed");
  const body = await readBody(request);
  const at = performance.now();

  if (path === "/postmark/email") {
    if (!request.headers["x-postmark-server-token"]) {
      return respond(response, 401, "application/json", JSON.stringify({ ErrorCode: 10, Message: "Missing X-Postmark-Server-Token header." }));
    }
    let email;
    try {
      email = JSON.parse(body);
    } catch {
      return respond(response, 422, "application/json", JSON.stringify({ ErrorCode: 402, Message: "Invalid JSON in the request body." }));
    }
    arrivals.emails.push({ at, subject: String(email.Subject ?? ""), to: String(email.To ?? ""), metadata: email.Metadata ?? {} });
    return respond(
      response,
      200,
      "application/json",
      JSON.stringify({ To: email.To, SubmittedAt: new Date().toISOString(), MessageID: webcrypto.randomUUID(), ErrorCode: 0, Message: "OK" }),
    );
  }

  if (path === SLACK_PATH) {
    arrivals.slack.push({ at, references: [...new Set(body.match(REFERENCE) ?? [])], body });
    return respond(response, 200, "text/plain", "ok");
  }

  return respond(response, 404, "text/plain", "not found");
}

function startFakes() {
  const server = createServer((request, response) => {
    handleProvider(request, response).catch((error) => {
      console.error(`follow-up-latency: fake provider failed on ${request.method} ${request.url}:`, error);
      respond(response, 500, "text/plain", "fake provider failed");
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const origin = `http://127.0.0.1:${server.address().port}`;
      resolve({
        origin,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Integration rows. The Worker decrypts secrets with ENCRYPTION_KEY from `.dev.vars`, so they are encrypted here
// with the same key and the same scheme: AES-256-GCM, a random 12-byte IV, stored as `v1.<iv>.<ciphertext>`.

async function encryptSecret(base64Key, plaintext) {
  const key = await webcrypto.subtle.importKey("raw", Buffer.from(base64Key, "base64"), { name: "AES-GCM" }, false, ["encrypt"]);
  const iv = webcrypto.getRandomValues(new Uint8Array(12));
  const ciphertext = await webcrypto.subtle.encrypt({ name: "AES-GCM", iv }, key, new TextEncoder().encode(plaintext));
  return `v1.${Buffer.from(iv).toString("base64")}.${Buffer.from(ciphertext).toString("base64")}`;
}

const sqlText = (value) => `'${String(value).replace(/'/g, "''")}'`;

async function setupSql(encryptionKey, fakesOrigin) {
  const rows = [
    // The fake checks only that a token is present, not its value.
    { id: "int_bench_mail", kind: "mail", provider: "postmark", name: "Bench Postmark", secret: "bench-server-token" },
    { id: "int_bench_chat", kind: "chat", provider: "slack", name: "Bench Slack", secret: `${fakesOrigin}${SLACK_PATH}` },
  ];
  const inserts = [];
  for (const row of rows) {
    const encrypted = await encryptSecret(encryptionKey, row.secret);
    inserts.push(
      `INSERT INTO integrations (id, firm_id, kind, provider, name, settings, secret_encrypted, is_default, status, created_at, updated_at) ` +
        `VALUES (${sqlText(row.id)}, 'firm_demo', ${sqlText(row.kind)}, ${sqlText(row.provider)}, ${sqlText(row.name)}, '{}', ` +
        `${sqlText(encrypted)}, 1, 'active', unixepoch('now') * 1000, unixepoch('now') * 1000)`,
    );
  }
  // The demo form's rate limits would quarantine a burst from one address, and quarantined enquiries get no
  // follow-ups, so they are lifted for the run.
  inserts.push("UPDATE forms SET client_rate_limit_per_hour = 100000000, form_rate_limit_per_hour = 100000000 WHERE key = 'demo'");
  return inserts.join("; ");
}

// ---------------------------------------------------------------------------------------------------------------
// Enquiries.

const runId = Date.now().toString(36);

/** Posts one enquiry and returns what the bench needs to match its follow-ups, with `acceptedAt` read at the 201. */
async function submit(apiUrl, label) {
  const email = `bench.${runId}.${label}@example.com`;
  const response = await fetch(`${apiUrl}/v1/forms/demo/submissions`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: ORIGIN },
    body: JSON.stringify({
      submissionId: `latency-${runId}-${label}`,
      fields: {
        name: "Bench Prospect",
        email,
        phone: "020 7946 0000",
        service: "family",
        message: "I would like advice about a separation and arrangements for our children.",
      },
      pageUrl: `${ORIGIN}/contact.html`,
    }),
  });
  const text = await response.text();
  const acceptedAt = performance.now();
  let reference = null;
  try {
    reference = JSON.parse(text).reference ?? null;
  } catch {
    // A body without a reference keeps the enquiry out of the accepted ones below.
  }
  return { label, email, status: response.status, reference, acceptedAt };
}

async function submitAll(apiUrl, labels, concurrency) {
  const results = [];
  let next = 0;
  async function worker() {
    while (next < labels.length) {
      const label = labels[next++];
      results.push(await submit(apiUrl, label));
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, labels.length) }, worker));
  return results;
}

/** First email and first Slack message that mention each enquiry, by reference or, failing that, by address. */
function match(enquiries) {
  const byReference = new Map(enquiries.map((enquiry) => [enquiry.reference, enquiry]));
  const byEmail = new Map(enquiries.map((enquiry) => [enquiry.email, enquiry]));
  const mail = new Map();
  const chat = new Map();
  let duplicateEmails = 0;
  const slackRequests = [];

  for (const email of arrivals.emails) {
    const reference = (email.subject.match(REFERENCE) ?? [])[0];
    const address = /<([^>]+)>/.exec(email.to)?.[1] ?? email.to;
    const enquiry = byReference.get(reference) ?? byEmail.get(address);
    if (!enquiry) continue;
    if (mail.has(enquiry.label)) duplicateEmails++;
    else mail.set(enquiry.label, email.at);
  }

  for (const message of arrivals.slack) {
    const found = new Set(message.references.map((reference) => byReference.get(reference)).filter(Boolean));
    for (const enquiry of enquiries) if (message.body.includes(enquiry.email)) found.add(enquiry);
    if (found.size === 0) continue;
    slackRequests.push(found.size);
    for (const enquiry of found) if (!chat.has(enquiry.label)) chat.set(enquiry.label, message.at);
  }
  return { mail, chat, duplicateEmails, slackRequests };
}

async function waitForFollowUps(enquiries, deadline) {
  while (performance.now() < deadline) {
    const { mail, chat } = match(enquiries);
    if (mail.size === enquiries.length && chat.size === enquiries.length) return true;
    await sleep(50);
  }
  return false;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

function summarise(enquiries, arrivedAt) {
  const latencies = enquiries
    .filter((enquiry) => arrivedAt.has(enquiry.label))
    .map((enquiry) => arrivedAt.get(enquiry.label) - enquiry.acceptedAt)
    .sort((a, b) => a - b);
  const ms = (value) => (value === null ? null : Math.round(value));
  return {
    received: latencies.length,
    p50Ms: ms(percentile(latencies, 50)),
    p95Ms: ms(percentile(latencies, 95)),
    maxMs: ms(latencies.at(-1) ?? null),
  };
}

/**
 * Reads the outbox through the API after an incomplete run, so the report shows whether the missing messages are
 * still pending (and why they last failed), stuck while sending, failed or skipped.
 */
async function describeOutbox(apiUrl) {
  const summary = {};
  for (const status of ["pending", "sending", "failed", "skipped"]) {
    const response = await fetch(`${apiUrl}/v1/outbound-messages?status=${status}&limit=100`, {
      headers: { authorization: "Bearer pl_test_demo" },
    });
    if (!response.ok) {
      summary[status] = `HTTP ${response.status}`;
      continue;
    }
    const { data, nextCursor } = await response.json();
    if (data.length === 0) continue;
    const kinds = {};
    for (const message of data) kinds[message.kind] = (kinds[message.kind] ?? 0) + 1;
    const reasons = [...new Set(data.map((message) => message.lastError ?? message.statusReason).filter(Boolean))].slice(0, 3);
    summary[status] = { count: nextCursor ? `${data.length}+` : data.length, kinds, reasons };
  }
  return summary;
}

// ---------------------------------------------------------------------------------------------------------------

const fakes = await startFakes();
const persistTo = mkdtempSync(join(tmpdir(), "plumbline-bench-"));
let stack;
let exitCode = 0;

try {
  const { ENCRYPTION_KEY } = readDevVars();
  if (!ENCRYPTION_KEY) throw new Error("ENCRYPTION_KEY is missing from .dev.vars. Add 32 random bytes in base64 as ENCRYPTION_KEY=...");

  stack = await startLocalStack({
    apiPort: await freePort(),
    demoPort: await freePort(),
    dashboardPort: null,
    host: "127.0.0.1",
    persistTo,
    quiet: true,
    extraSql: await setupSql(ENCRYPTION_KEY, fakes.origin),
    vars: {
      PROVIDER_BASE_URLS: JSON.stringify({ postmark: `${fakes.origin}/postmark` }),
      CHAT_EXTRA_HOSTS: "127.0.0.1",
    },
  });

  // The first enquiries load the Worker's code paths and start the queue consumer. They go one at a time, and
  // the pause after them lets the chat slot they took expire, so the burst starts with a free slot.
  const warmup = [];
  for (let i = 0; i < WARMUP; i++) warmup.push(...(await submitAll(stack.apiUrl, [`warmup-${i}`], 1)));
  const warmupAccepted = warmup.filter((enquiry) => enquiry.status === 201);
  const warmupDone = await waitForFollowUps(warmupAccepted, performance.now() + TIMEOUT_MS);
  const warmupResult = {
    enquiries: WARMUP,
    accepted: warmupAccepted.length,
    firstAcknowledgementMs: summarise(warmupAccepted.slice(0, 1), match(warmupAccepted).mail).maxMs,
    firstAlertMs: summarise(warmupAccepted.slice(0, 1), match(warmupAccepted).chat).maxMs,
  };
  if (!warmupDone || warmupAccepted.length !== WARMUP) {
    throw new Error(`Warm-up timed out: not every follow-up arrived within ${TIMEOUT_MS / 1000} s (${JSON.stringify(warmupResult)})`);
  }
  await sleep(2000);

  const burstStart = performance.now();
  const labels = Array.from({ length: ENQUIRIES }, (_, i) => String(i));
  const submitted = await submitAll(stack.apiUrl, labels, CONCURRENCY);
  const burstSeconds = (performance.now() - burstStart) / 1000;
  const accepted = submitted.filter((enquiry) => enquiry.status === 201 && enquiry.reference);
  const statuses = {};
  for (const enquiry of submitted) statuses[enquiry.status] = (statuses[enquiry.status] ?? 0) + 1;

  const complete = await waitForFollowUps(accepted, burstStart + TIMEOUT_MS);
  const reloads = (stack.output().match(RELOAD_LINE) ?? []).length;
  const matched = match(accepted);
  const acknowledgement = summarise(accepted, matched.mail);
  const partnerAlert = summarise(accepted, matched.chat);

  console.log(
    JSON.stringify({
      name: "follow-up-latency",
      enquiries: ENQUIRIES,
      concurrency: CONCURRENCY,
      statuses,
      burstSeconds: Number(burstSeconds.toFixed(2)),
      warmup: warmupResult,
      acknowledgement: { ...acknowledgement, duplicates: matched.duplicateEmails },
      partnerAlert,
      slack: { requests: matched.slackRequests.length, alertsPerRequest: matched.slackRequests },
      goalP95Ms: GOAL_P95_MS,
      // An incomplete run's percentiles cover only what arrived, and a reloaded run measured a changing Worker.
      goalMet: complete && reloads === 0 && acknowledgement.p95Ms < GOAL_P95_MS && partnerAlert.p95Ms < GOAL_P95_MS,
      complete,
      reloads,
    }),
  );
  if (reloads > 0) {
    console.error(`follow-up-latency: wrangler dev reloaded the Worker ${reloads} time(s) because source files changed during the run. Run it again when nobody is editing.`);
    exitCode = 1;
  }
  if (!complete || accepted.length !== ENQUIRIES) {
    console.error(
      `follow-up-latency: ${acknowledgement.received} of ${ENQUIRIES} acknowledgements and ${partnerAlert.received} alerts arrived ` +
        `within ${TIMEOUT_MS / 1000} s of the burst (${accepted.length} enquiries accepted); outbox: ` +
        JSON.stringify(await describeOutbox(stack.apiUrl).catch((error) => String(error))),
    );
    exitCode = 1;
  }
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  await stack?.stop();
  await fakes.close();
  // workerd may still be writing as it shuts down, so removal retries briefly.
  rmSync(persistTo, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
}
process.exit(exitCode);
