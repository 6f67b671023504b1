// Saves PNG screenshots of the dashboard's main pages into docs/screenshots/, for the README. Starts its own local
// stack on free ports with a fresh local D1 that contains the demo firm's simulated history, so the reports have data.
// It sends a few demo enquiries and signs in as the demo partner through a sign-in link from the local outbox.
// Run with `node_modules/.bin/node scripts/screenshots.mjs` (Node 22, for wrangler). Needs Chromium at
// /usr/bin/chromium or CHROMIUM_PATH.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { freePort, sendEnquiry, signInWithLink } from "../test/browser/support.mjs";
import { ROOT, startLocalStack } from "./local-stack.mjs";

const OUTPUT = join(ROOT, "docs", "screenshots");

const VIEWPORTS = [
  { name: "desktop", width: 1280, height: 1000 },
  { name: "phone", width: 390, height: 844 },
];

const ENQUIRIES = [
  {
    fields: { name: "Siobhán O’Connor", email: "siobhan@example.ie", service: "family", message: "I would like advice about a separation and the children's arrangements." },
    attribution: { firstTouch: { utm_source: "google", utm_medium: "cpc", utm_campaign: "family-law", landingPage: "https://www.hartley-moss.example/family" } },
  },
  {
    fields: { name: "Tomasz Nowak", email: "tomasz@example.pl", service: "conveyancing", message: "We are buying our first flat in Leeds." },
    attribution: { firstTouch: { referrer: "https://www.bing.com/", landingPage: "https://www.hartley-moss.example/conveyancing" } },
  },
  {
    fields: { name: "Priya Shah", email: "priya@example.co.uk", service: "employment", message: "My employer has changed my contract without asking." },
    attribution: {},
  },
];

const PARTNER_EMAIL = "partner@hartley-moss.example";

const persistTo = mkdtempSync(join(tmpdir(), "plumbline-screenshots-"));
const stack = await startLocalStack({
  apiPort: await freePort(),
  dashboardPort: await freePort(),
  demoPort: await freePort(),
  persistTo,
  quiet: true,
  demoHistory: true,
});
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
});

try {
  const environment = { apiUrl: stack.apiUrl, dashboardUrl: stack.dashboardUrl, browser };
  for (const enquiry of ENQUIRIES) await sendEnquiry(environment, "demo", enquiry.fields, enquiry.attribution);
  // Gives the queue consumer time to send the acknowledgements, so they are on the timelines.
  await new Promise((resolve) => setTimeout(resolve, 2_000));

  const response = await fetch(`${stack.apiUrl}/v1/opportunities?limit=1`, { headers: { authorization: "Bearer pl_test_demo" } });
  const [newest] = (await response.json()).data;

  const pages = [
    { name: "pipeline", path: "/firms/firm_demo/pipeline" },
    { name: "opportunity", path: `/firms/firm_demo/opportunities/${newest.id}` },
    { name: "tasks", path: "/firms/firm_demo/tasks?scope=everyone" },
    { name: "settings", path: "/firms/firm_demo/settings/follow-up" },
    // On a phone only the first screen is kept, so it opens at the pipeline-health charts, past the filters.
    { name: "reports", path: "/firms/firm_demo/reports#pipeline-health" },
  ];

  mkdirSync(OUTPUT, { recursive: true });
  for (const viewport of VIEWPORTS) {
    // Each link works once, so every viewport signs in with a new one. en-GB, so that date inputs show
    // day/month/year as a British partner's browser would.
    const context = await signInWithLink(environment, PARTNER_EMAIL, { viewport: { width: viewport.width, height: viewport.height }, locale: "en-GB" });
    const page = await context.newPage();
    for (const target of pages) {
      await page.goto(`${stack.dashboardUrl}${target.path}`);
      await page.waitForLoadState("networkidle");
      const path = join(OUTPUT, `${target.name}-${viewport.name}.png`);
      // The first screen only: with the demo history the pipeline and reports pages run to many screens.
      await page.screenshot({ path });
      console.log(`wrote ${path}`);
    }
    await context.close();
  }
} finally {
  await browser.close();
  await stack.stop();
  rmSync(persistTo, { recursive: true, force: true });
}
