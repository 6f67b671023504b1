// Inbound email, two measurements. First, the CPU time of parsing a 1 MB MIME message with postal-mime and
// normalising it as the queue consumer does, in this Node process. Second, messages per second through
// `POST /v1/inbound/postmark/...` and the queue consumer under `wrangler dev`, counted from the first request until
// every stored event is processed.
//
//   node_modules/.bin/node bench/inbound-email.mjs --messages 300 --concurrency 8
//   node_modules/.bin/node bench/inbound-email.mjs --parse-only
//
// Needs Node 22 (node:sqlite reads the local D1 file to see when processing finished). Traffic goes only to
// the `wrangler dev` this script starts on 127.0.0.1.
import { webcrypto } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { freePort } from "../test/browser/support.mjs";
import { readDevVars, ROOT, startLocalStack } from "../scripts/local-stack.mjs";

const { values } = parseArgs({
  options: {
    messages: { type: "string", default: "300" },
    concurrency: { type: "string", default: "8" },
    "parse-runs": { type: "string", default: "30" },
    "parse-only": { type: "boolean", default: false },
    "timeout-seconds": { type: "string", default: "180" },
  },
});
const MESSAGES = Number(values.messages);
const CONCURRENCY = Number(values.concurrency);
const PARSE_RUNS = Number(values["parse-runs"]);
const TIMEOUT_MS = Number(values["timeout-seconds"]) * 1000;
const INBOUND_TOKEN = "bench-inbound-token-0123456789";
const INTEGRATION_ID = "int_bench_inbound";

// ---------------------------------------------------------------------------------------------------------------
// Part 1: parse and normalise a 1 MB message in Node.

/** Bundles the normalisation code from TypeScript sources so Node can run it, and imports the bundle. */
async function loadNormalisation() {
  const result = await build({
    stdin: {
      contents: `
        export { default as PostalMime } from "postal-mime";
        export { normalisePostalMimeEmail, classifyInbound, splitReply, detectForward, truncateForTimeline } from "./packages/integrations/src/inbound/index.ts";
      `,
      resolveDir: ROOT,
      loader: "ts",
    },
    bundle: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    write: false,
    logLevel: "silent",
  });
  const code = result.outputFiles[0].text;
  return import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`);
}

/**
 * Builds a MIME message of about `bytes`: a quoted-printable ISO-8859-1 text part with quoted history, an HTML
 * part and a base64 PDF-like attachment, which is what makes real messages large.
 */
function buildMessage(bytes) {
  const paragraph = "Merci pour votre r=E9ponse. Nous pr=E9f=E9rons un rendez-vous jeudi apr=E8s-midi si possible.=\r\n";
  const quoted = "> On Wed, 2 Dec 2026 at 16:00, Hartley & Moss wrote:\r\n> Thank you for your enquiry about conveyancing.\r\n";
  const text = `${paragraph.repeat(40)}\r\n${quoted.repeat(400)}`;
  const html = `<html><body>${"<p>Merci pour votre réponse, à jeudi.</p>".repeat(600)}</body></html>`;
  const attachmentBytes = Math.max(0, Math.floor((bytes - text.length - html.length) * 0.74));
  const attachment = Buffer.alloc(attachmentBytes, 0x41).toString("base64").replace(/.{76}/g, "$&\r\n");
  return [
    "From: =?iso-8859-1?Q?Ren=E9e_Prospect?= <renee@example.org>",
    "To: reply+abcdefghij234567abcd@inbound.plumbline.localhost",
    "Subject: =?iso-8859-1?Q?Re:_Votre_demande_-_r=E9ponse?=",
    "Date: Thu, 03 Dec 2026 10:15:00 +0000",
    "Message-ID: <bench-large@mail.example.org>",
    "In-Reply-To: <msg_bench@mail.plumbline.localhost>",
    "MIME-Version: 1.0",
    'Content-Type: multipart/mixed; boundary="outer"',
    "",
    "--outer",
    'Content-Type: multipart/alternative; boundary="inner"',
    "",
    "--inner",
    "Content-Type: text/plain; charset=iso-8859-1",
    "Content-Transfer-Encoding: quoted-printable",
    "",
    text,
    "--inner",
    "Content-Type: text/html; charset=utf-8",
    "",
    html,
    "--inner--",
    "--outer",
    'Content-Type: application/pdf; name="terms.pdf"',
    'Content-Disposition: attachment; filename="terms.pdf"',
    "Content-Transfer-Encoding: base64",
    "",
    attachment,
    "--outer--",
    "",
  ].join("\r\n");
}

function cpuMs(start) {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

async function measureParse() {
  const lib = await loadNormalisation();
  const raw = new TextEncoder().encode(buildMessage(1024 * 1024));

  const runOnce = async () => {
    const parseStart = process.cpuUsage();
    const parsed = await lib.PostalMime.parse(raw);
    const parseMs = cpuMs(parseStart);

    const normaliseStart = process.cpuUsage();
    const message = lib.normalisePostalMimeEmail(parsed);
    lib.classifyInbound(message);
    lib.detectForward(message);
    lib.truncateForTimeline(lib.splitReply(message.text).reply, 2000);
    const normaliseMs = cpuMs(normaliseStart);
    return { parseMs, normaliseMs, subject: message.subject };
  };

  for (let i = 0; i < 3; i++) await runOnce();
  const runs = [];
  for (let i = 0; i < PARSE_RUNS; i++) runs.push(await runOnce());

  const summary = (key) => {
    const sorted = runs.map((run) => run[key]).sort((a, b) => a - b);
    return { p50Ms: Number(sorted[Math.floor(sorted.length / 2)].toFixed(2)), maxMs: Number(sorted.at(-1).toFixed(2)) };
  };
  return { messageBytes: raw.byteLength, runs: PARSE_RUNS, parse: summary("parseMs"), normalise: summary("normaliseMs"), decodedSubject: runs[0].subject };
}

// ---------------------------------------------------------------------------------------------------------------
// Part 2: messages per second through the Postmark inbound route and the queue.

async function encryptSecret(base64Key, plaintext) {
  const key = await webcrypto.subtle.importKey("raw", Buffer.from(base64Key, "base64"), { name: "AES-GCM" }, false, ["encrypt"]);
  const iv = webcrypto.getRandomValues(new Uint8Array(12));
  const ciphertext = await webcrypto.subtle.encrypt({ name: "AES-GCM", iv }, key, new TextEncoder().encode(plaintext));
  return `v1.${Buffer.from(iv).toString("base64")}.${Buffer.from(ciphertext).toString("base64")}`;
}

const runId = Date.now().toString(36);

/** Builds a Postmark inbound body of a few KB: a prospect's reply with quoted history and one small attachment. */
function postmarkMessage(index) {
  const from = `bench.${runId}.${index % 50}@example.org`;
  return JSON.stringify({
    From: from,
    FromFull: { Email: from, Name: "Bench Prospect" },
    To: "enquiries@inbound.plumbline.localhost",
    ToFull: [{ Email: "enquiries@inbound.plumbline.localhost", Name: "" }],
    Subject: `Re: Your enquiry ${index}`,
    Date: new Date().toUTCString(),
    MessageID: `bench-${runId}-${index}`,
    TextBody: `Thank you, Thursday suits me.\n\nOn Wed, 2 Dec 2026 at 16:00, Hartley & Moss wrote:\n${"> Thank you for your enquiry.\n".repeat(40)}`,
    HtmlBody: `<p>Thank you, Thursday suits me.</p>${"<blockquote>Thank you for your enquiry.</blockquote>".repeat(40)}`,
    Headers: [
      { Name: "Message-ID", Value: `<bench-${runId}-${index}@mail.example.org>` },
      { Name: "In-Reply-To", Value: "<not-ours@elsewhere.example>" },
    ],
    Attachments: [{ Name: "note.txt", Content: Buffer.from("bench attachment").toString("base64"), ContentType: "text/plain", ContentLength: 16 }],
  });
}

/** Opens the local D1 file that `wrangler dev --persist-to` writes, read-only. */
async function openLocalD1(persistTo) {
  const { DatabaseSync } = await import("node:sqlite");
  const folder = join(persistTo, "v3", "d1", "miniflare-D1DatabaseObject");
  const file = readdirSync(folder).find((name) => name.endsWith(".sqlite") && name !== "metadata.sqlite");
  if (!file) throw new Error(`no local D1 database in ${folder}`);
  return new DatabaseSync(join(folder, file), { readOnly: true });
}

async function measureThroughput() {
  const { ENCRYPTION_KEY } = readDevVars();
  if (!ENCRYPTION_KEY) throw new Error("ENCRYPTION_KEY is missing from .dev.vars. Add 32 random bytes in base64 as ENCRYPTION_KEY=...");
  const secret = (await encryptSecret(ENCRYPTION_KEY, INBOUND_TOKEN)).replace(/'/g, "''");
  const persistTo = mkdtempSync(join(tmpdir(), "plumbline-bench-"));
  const stack = await startLocalStack({
    apiPort: await freePort(),
    demoPort: await freePort(),
    dashboardPort: null,
    host: "127.0.0.1",
    persistTo,
    quiet: true,
    extraSql:
      "INSERT INTO integrations (id, firm_id, kind, provider, name, settings, secret_encrypted, is_default, status, created_at, updated_at) " +
      `VALUES ('${INTEGRATION_ID}', 'firm_demo', 'inbound_mail', 'postmark', 'Bench inbound', '{}', '${secret}', 0, 'active', unixepoch('now') * 1000, unixepoch('now') * 1000)`,
  });

  try {
    const database = await openLocalD1(persistTo);
    const countDone = () =>
      database.prepare("SELECT count(*) AS done FROM webhook_events WHERE provider = 'postmark-inbound' AND status <> 'received' AND provider_event_id LIKE ?").get(`%bench-${runId}-%`).done;
    const url = `${stack.apiUrl}/v1/inbound/postmark/${INTEGRATION_ID}?token=${INBOUND_TOKEN}`;

    const statuses = {};
    let next = 0;
    const started = performance.now();
    const sender = async () => {
      while (next < MESSAGES) {
        const index = next++;
        const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: postmarkMessage(index) });
        await response.arrayBuffer();
        statuses[response.status] = (statuses[response.status] ?? 0) + 1;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, sender));
    const acceptedSeconds = (performance.now() - started) / 1000;

    let done = countDone();
    while (done < MESSAGES && performance.now() - started < TIMEOUT_MS) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      done = countDone();
    }
    const processedSeconds = (performance.now() - started) / 1000;
    const statusCounts = database
      .prepare("SELECT status, count(*) AS count FROM webhook_events WHERE provider = 'postmark-inbound' GROUP BY status")
      .all()
      .map((row) => `${row.status}:${row.count}`);
    database.close();

    return {
      messages: MESSAGES,
      concurrency: CONCURRENCY,
      httpStatuses: statuses,
      acceptedPerSecond: Math.round(MESSAGES / acceptedSeconds),
      processed: done,
      processedPerSecond: done === MESSAGES ? Number((MESSAGES / processedSeconds).toFixed(1)) : null,
      eventStatuses: statusCounts.join(","),
    };
  } finally {
    await stack.stop();
    rmSync(persistTo, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------

const parse = await measureParse();
const throughput = values["parse-only"] ? null : await measureThroughput();
console.log(JSON.stringify({ name: "inbound-email", parseInNode: parse, throughput }));
if (throughput && (throughput.processed !== MESSAGES || Object.keys(throughput.httpStatuses).some((status) => status !== "200"))) {
  console.error("inbound-email: some messages were not accepted or not processed in time; the run is not a valid measurement");
  process.exitCode = 1;
}
