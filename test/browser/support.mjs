// Shared set-up for the browser tests: the real local stack (wrangler dev with a fresh local D1, and the demo
// website) and Debian's Chromium driven by playwright-core.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { startLocalStack } from "../../scripts/local-stack.mjs";

export const DEMO_API_KEY = "pl_test_demo";

function findChromium() {
  const candidates = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].filter(Boolean);
  const found = candidates.find((path) => existsSync(path));
  if (!found) {
    throw new Error(
      "No Chromium found for the browser tests. Install Debian's package (`apt-get install chromium`) or set CHROMIUM_PATH.",
    );
  }
  return found;
}

/** Asks the OS for a free TCP port on loopback. */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts the local stack on free ports with its own D1 state, and Chromium. The demo firm starts empty unless
 * PLUMBLINE_DEMO_HISTORY=1 loads the simulated history that `npm start` loads.
 */
export async function startBrowserEnvironment() {
  const persistTo = mkdtempSync(join(tmpdir(), "plumbline-browser-"));
  const demoHistory = process.env.PLUMBLINE_DEMO_HISTORY === "1";
  const stack = await startLocalStack({ apiPort: await freePort(), demoPort: await freePort(), persistTo, quiet: true, demoHistory });
  const browser = await chromium.launch({
    executablePath: findChromium(),
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
  });

  return {
    apiUrl: stack.apiUrl,
    demoUrl: stack.demoUrl,
    browser,
    async api(path) {
      const response = await fetch(`${stack.apiUrl}${path}`, { headers: { authorization: `Bearer ${DEMO_API_KEY}` } });
      if (!response.ok) throw new Error(`GET ${path} answered ${response.status}: ${await response.text()}`);
      return response.json();
    },
    async stop() {
      await browser.close();
      await stack.stop();
      rmSync(persistTo, { recursive: true, force: true });
    },
  };
}

/** Finds the demo firm's opportunity whose contact has this email, through the API. */
export async function findOpportunityByEmail(environment, email) {
  const contacts = await environment.api("/v1/contacts?limit=100");
  const contact = contacts.data.find((candidate) => candidate.email === email);
  if (!contact) return null;
  const opportunities = await environment.api(`/v1/opportunities?contactId=${contact.id}`);
  const [opportunity] = opportunities.data;
  return opportunity ? environment.api(`/v1/opportunities/${opportunity.id}`) : null;
}
