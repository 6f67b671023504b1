// Starts Plumbline locally: migrates and seeds a local D1, runs the API under `wrangler dev`, builds the dashboard
// and runs it under its own `wrangler dev`, and serves the demo firm's website. Used by `npm start`, the browser
// tests and the benchmarks.
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { startDemoSite } from "../apps/embed/demo/serve.mjs";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const WRANGLER_CLI = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
const VITE_CLI = join(ROOT, "node_modules", "vite", "bin", "vite.js");
const DASHBOARD_DIR = join(ROOT, "apps", "dashboard");

/**
 * Runs wrangler with the Node that runs this script (Node 22 from the `node` devDependency under npm scripts),
 * with that Node first on PATH for anything wrangler starts, since the machine's own Node may be older.
 */
const childEnv = (extra = {}) => ({
  ...process.env,
  PATH: `${dirname(process.execPath)}:${join(ROOT, "node_modules", ".bin")}:${process.env.PATH ?? ""}`,
  WRANGLER_SEND_METRICS: "false",
  // Without this, wrangler dev fetches a Request.cf sample from Cloudflare at start-up.
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  ...extra,
});

/** Local secrets and how to make a fresh value for each; a `.dev.vars` missing one gains it. */
const DEV_SECRETS = {
  ENCRYPTION_KEY: () => randomBytes(32).toString("base64"),
  CLIENT_HASH_KEY: () => randomBytes(24).toString("base64url"),
  SESSION_SIGNING_KEY: () => randomBytes(32).toString("base64url"),
};

/**
 * Writes `.dev.vars` with fresh random local secrets when it does not exist, and appends any secret a file from an
 * older checkout lacks. The file is git-ignored: these values protect only local data.
 */
export function ensureDevVars() {
  const path = join(ROOT, ".dev.vars");
  const existing = existsSync(path) ? readFileSync(path, "utf8") : "";
  const present = new Set([...existing.matchAll(/^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=/gm)].map((match) => match[1]));
  const missing = Object.entries(DEV_SECRETS).filter(([name]) => !present.has(name));
  if (missing.length === 0) return;

  const lines = missing.map(([name, generate]) => `${name}=${generate()}`);
  const separator = existing === "" || existing.endsWith("\n") ? "" : "\n";
  writeFileSync(path, `${existing}${separator}${lines.join("\n")}\n`, { mode: 0o600 });
}

/**
 * Returns the local secrets from `.dev.vars` as an object, writing the file first if needed, so that callers can
 * prepare data the Worker must read with the same keys (such as integration secrets encrypted with ENCRYPTION_KEY).
 */
export function readDevVars() {
  ensureDevVars();
  const values = {};
  for (const line of readFileSync(join(ROOT, ".dev.vars"), "utf8").split("\n")) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (match) values[match[1]] = match[2].replace(/^"(.*)"$/, "$1");
  }
  return values;
}

function runWrangler(args, persistTo) {
  const result = spawnSync(process.execPath, [WRANGLER_CLI, ...args, "--persist-to", persistTo], {
    cwd: ROOT,
    encoding: "utf8",
    // CI=true makes wrangler skip its confirmation prompts.
    env: childEnv({ CI: "true" }),
  });
  if (result.status !== 0) {
    throw new Error(`wrangler ${args.join(" ")} failed with exit code ${result.status}:\n${result.stdout}\n${result.stderr}`);
  }
}

export const DEMO_HISTORY_PATH = join(ROOT, "scripts", "seed", "demo-history.sql");
/** Written by scripts/report-summaries-sql.ts from packages/db/src/report-summaries.ts. */
const REBUILD_REPORT_SUMMARIES_PATH = join(ROOT, "scripts", "seed", "rebuild-report-summaries.sql");
const DAY_MS = 86_400_000;

/**
 * Returns the demo history (written by `npm run demo:generate`) as SQL, moved by whole days so that it ends
 * within the 24 hours before `now`. Whole days keep every event's UTC time of day, though a London time moves by an
 * hour where the shift crosses a change of the clocks.
 */
export function demoHistorySql(now = Date.now()) {
  const text = readFileSync(DEMO_HISTORY_PATH, "utf8");
  const endLine = /^-- end: (\d+)$/m.exec(text);
  if (!endLine) throw new Error(`${DEMO_HISTORY_PATH} has no "-- end:" line. Run \`npm run demo:generate\` to write it again.`);
  const end = Number(endLine[1]);
  const newEnd = end + Math.floor((now - end) / DAY_MS) * DAY_MS;
  const shiftMs = newEnd - end;
  return text
    .replace(/\{\{t:(-?\d+)\}\}/g, (_, offset) => String(newEnd + Number(offset)))
    .replace(/\{\{date:(\d{4}-\d{2}-\d{2})\}\}/g, (_, date) => new Date(Date.parse(`${date}T00:00:00Z`) + shiftMs).toISOString().slice(0, 10))
    .replace(/\{\{iso:(-?\d+)\}\}/g, (_, offset) => new Date(newEnd + Number(offset)).toISOString());
}

/**
 * Applies the migrations to the local D1 in `persistTo` and upserts the demo firm. With `demoHistory`, it also
 * loads the demo firm's simulated history, once: a later load adds nothing, and keeps the dates of the first.
 * `extraSql` runs last, for callers such as the benchmarks that need other settings.
 */
export function prepareLocalDatabase(persistTo, extraSql, { demoHistory = false } = {}) {
  runWrangler(["d1", "migrations", "apply", "plumbline", "--local"], persistTo);
  const seed = join(ROOT, "scripts", "seed", "demo.sql");
  if (!demoHistory) {
    runWrangler(["d1", "execute", "plumbline", "--local", "--file", seed], persistTo);
  } else {
    // One file for the seed and the history, because each wrangler run costs seconds before any SQL runs.
    const directory = mkdtempSync(join(tmpdir(), "plumbline-demo-"));
    try {
      const file = join(directory, "demo-with-history.sql");
      // The triggers keep the report summaries as the rows go in; the rebuild makes them whole even for history
      // loaded before the triggers existed.
      writeFileSync(file, `${readFileSync(seed, "utf8")}\n${demoHistorySql()}\n${readFileSync(REBUILD_REPORT_SUMMARIES_PATH, "utf8")}`);
      runWrangler(["d1", "execute", "plumbline", "--local", "--file", file], persistTo);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  }
  if (extraSql) runWrangler(["d1", "execute", "plumbline", "--local", "--command", extraSql], persistTo);
}

/** Polls `url` until it returns a 2xx status, failing early when `child` exits first. */
async function waitForOk(url, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with code ${child.exitCode} before ${url} responded`);
    try {
      const response = await fetch(url, { redirect: "manual" });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not respond with a 2xx status within ${timeoutMs / 1000} s`);
}

/**
 * Everything `vite build` of the dashboard reads: its own folder (without build output and installed packages),
 * the workspace package it imports and the shared TypeScript settings. Dependencies count by the lockfile and by
 * npm's record of what is installed (node_modules/.package-lock.json), which every `npm install` rewrites.
 */
const DASHBOARD_INPUTS = [
  DASHBOARD_DIR,
  join(ROOT, "packages", "core"),
  join(ROOT, "tsconfig.base.json"),
  join(ROOT, "package-lock.json"),
  join(ROOT, "node_modules", ".package-lock.json"),
];
const SKIPPED_FOLDERS = new Set(["node_modules", ".svelte-kit", ".wrangler"]);
const DASHBOARD_WORKER = join(DASHBOARD_DIR, ".svelte-kit", "cloudflare", "_worker.js");
/** Outside .svelte-kit/cloudflare, which the adapter empties at the start of every build. */
const DASHBOARD_STAMP = join(DASHBOARD_DIR, ".svelte-kit", "plumbline-build.sha256");

function listFiles(path) {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .filter((entry) => !(entry.isDirectory() && SKIPPED_FOLDERS.has(entry.name)))
    .flatMap((entry) => listFiles(join(path, entry.name)));
}

/**
 * Hashes the dashboard's build inputs: each file's path and bytes, in sorted order, and the environment variables
 * Vite puts into a build (VITE_ and PUBLIC_ prefixes). Any change to one of them changes the hash.
 */
export function dashboardSourceHash() {
  const hash = createHash("sha256");
  const files = DASHBOARD_INPUTS.flatMap(listFiles)
    .map((file) => relative(ROOT, file))
    .sort();
  for (const file of files) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(join(ROOT, file)));
    hash.update("\0");
  }
  const buildEnv = Object.entries(process.env)
    .filter(([name]) => name.startsWith("VITE_") || name.startsWith("PUBLIC_"))
    .sort(([a], [b]) => a.localeCompare(b));
  hash.update(JSON.stringify(buildEnv));
  return hash.digest("hex");
}

/**
 * Builds the dashboard Worker into apps/dashboard/.svelte-kit/cloudflare with `vite build`, unless the last
 * build was made from the same inputs (dashboardSourceHash). The stamp is removed before a build and written
 * only after one succeeds, so a failed or interrupted build is never reused. `force` builds regardless.
 * Returns whether it built.
 */
export function buildDashboard({ quiet = false, force = false } = {}) {
  const sourceHash = dashboardSourceHash();
  const stamp = existsSync(DASHBOARD_STAMP) ? readFileSync(DASHBOARD_STAMP, "utf8").trim() : null;
  if (!force && stamp === sourceHash && existsSync(DASHBOARD_WORKER)) return false;

  rmSync(DASHBOARD_STAMP, { force: true });
  const result = spawnSync(process.execPath, [VITE_CLI, "build"], {
    cwd: DASHBOARD_DIR,
    encoding: "utf8",
    env: childEnv(),
    stdio: quiet ? "pipe" : ["ignore", "inherit", "inherit"],
  });
  if (result.status !== 0) {
    throw new Error(`vite build of the dashboard failed with exit code ${result.status}:\n${result.stdout ?? ""}\n${result.stderr ?? ""}`);
  }
  // Hashed again after the build, so an edit made while Vite ran leaves a stamp that no longer matches.
  writeFileSync(DASHBOARD_STAMP, `${sourceHash === dashboardSourceHash() ? sourceHash : "changed during build"}\n`);
  return true;
}

/**
 * Spawns `wrangler dev` in the background with its own process group, so that stop() ends wrangler and workerd
 * together. Returns the child, a stop function, a reader for the buffered output when `quiet` is set, and
 * follow(), which drops that buffer and sends later output to this process's stdout and stderr.
 */
function spawnWranglerDev(args, { cwd, quiet }) {
  const child = spawn(process.execPath, [WRANGLER_CLI, ...args], {
    cwd,
    env: childEnv({ BROWSER: "none" }),
    stdio: quiet ? ["ignore", "pipe", "pipe"] : ["ignore", "inherit", "inherit"],
    detached: process.platform !== "win32",
  });
  let output = "";
  let following = false;
  if (quiet) {
    const collect = (terminal) => (chunk) => {
      if (following) terminal.write(chunk);
      else output += chunk;
    };
    child.stdout.on("data", collect(process.stdout));
    child.stderr.on("data", collect(process.stderr));
  }
  const follow = () => {
    following = true;
    output = "";
  };
  const stop = () => {
    if (child.exitCode !== null) return;
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      child.kill("SIGTERM");
    }
  };
  return { child, stop, output: () => output, follow };
}

function requireNode22() {
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major < 22 || (major === 22 && minor < 12)) {
    throw new Error(`Node ${process.versions.node} is too old for wrangler (22.12 or later). Run this through npm (\`npm start\`), which uses the Node 22 that \`npm install\` put in node_modules.`);
  }
}

/**
 * Starts the API, the dashboard and the demo site. Returns their URLs and a `stop()` that ends all three.
 * `demoHistory` loads the demo firm's simulated months (for `npm start`); the benchmarks and browser tests start
 * from an empty firm.
 * `quiet` sends wrangler's output to a buffer that is printed only if start-up fails, until the returned
 * followOutput() sends it to the terminal. `progress` prints a line as each slow step starts. `vars` overrides or adds
 * API Worker variables for this run only (`wrangler dev --var KEY:VALUE`), such as provider URLs pointing at
 * fakes. `dashboardPort: null` skips the dashboard (its build takes a while), for callers that need only the API.
 * The dashboard is built only when an input of its build changed since the last one (dashboardSourceHash).
 */
export async function startLocalStack({
  apiPort = 8787,
  demoPort = 4321,
  dashboardPort = 5173,
  host = "localhost",
  persistTo = ".wrangler/state",
  quiet = false,
  progress = !quiet,
  extraSql = undefined,
  demoHistory = false,
  vars = {},
} = {}) {
  requireNode22();
  ensureDevVars();
  const report = progress ? (line) => console.log(line) : () => {};
  report("Preparing the local database...");
  prepareLocalDatabase(persistTo, extraSql, { demoHistory });
  if (dashboardPort !== null) {
    report("Building the dashboard if its sources changed...");
    // Vite's output stays out of the terminal; a failed build throws with it.
    const built = buildDashboard({ quiet: true });
    report(built ? "The dashboard was built." : "The dashboard's sources have not changed since its last build, so it was not rebuilt.");
  }
  report("Starting the API and the dashboard under wrangler dev...");

  const ip = host === "localhost" ? "127.0.0.1" : host;
  const apiUrl = `http://${host}:${apiPort}`;
  const dashboardUrl = dashboardPort === null ? null : `http://${host}:${dashboardPort}`;

  // Sign-in emails link to the dashboard, so the API must know where it runs.
  const apiVars = { ...(dashboardUrl ? { DASHBOARD_URL: dashboardUrl } : {}), ...vars };
  const apiArgs = ["dev", "--port", String(apiPort), "--ip", ip, "--persist-to", persistTo, "--test-scheduled", "--show-interactive-dev-session=false"];
  // Wrangler splits each pair at its first colon, so values may contain colons (URLs, JSON).
  for (const [key, value] of Object.entries(apiVars)) apiArgs.push("--var", `${key}:${value}`);
  const api = spawnWranglerDev(apiArgs, { cwd: ROOT, quiet });

  try {
    await waitForOk(`http://127.0.0.1:${apiPort}/health`, api.child, 90_000);
  } catch (error) {
    api.stop();
    if (quiet) process.stderr.write(api.output());
    throw error;
  }

  let dashboard = null;
  if (dashboardPort !== null) {
    const dashboardArgs = [
      "dev",
      "--port",
      String(dashboardPort),
      "--ip",
      ip,
      "--persist-to",
      join(persistTo, "dashboard"),
      "--show-interactive-dev-session=false",
      "--var",
      `API_ORIGIN:http://127.0.0.1:${apiPort}`,
      // A fresh key each run: CSRF tokens only need to outlive the pages rendered in this run.
      "--var",
      `CSRF_SECRET:${randomBytes(32).toString("base64url")}`,
    ];
    dashboard = spawnWranglerDev(dashboardArgs, { cwd: DASHBOARD_DIR, quiet });
    try {
      await waitForOk(`http://127.0.0.1:${dashboardPort}/sign-in`, dashboard.child, 90_000);
    } catch (error) {
      dashboard.stop();
      api.stop();
      if (quiet) process.stderr.write(`${api.output()}\n${dashboard.output()}`);
      throw error;
    }
  }

  const demo = await startDemoSite({ port: demoPort, host: "127.0.0.1", apiOrigin: apiUrl });
  return {
    apiUrl,
    dashboardUrl,
    demoUrl: demo.url.replace("127.0.0.1", host),
    /** Returns the API's wrangler output so far when `quiet` is set (empty otherwise), for callers that check for reloads. */
    output: () => api.output(),
    /** Sends wrangler's later output (request logs, errors) to the terminal, when `quiet` kept it back. */
    followOutput() {
      api.follow();
      dashboard?.follow();
    },
    async stop() {
      await demo.close();
      dashboard?.stop();
      api.stop();
    },
  };
}
