// Shared set-up for the browser tests: the real local stack (the API and the dashboard under wrangler dev with a
// fresh local D1, and the demo website) and Debian's Chromium driven by playwright-core.
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
 * Starts the local stack on free ports with its own D1 state, and Chromium. `extraSql` runs after the demo seed,
 * for tests that need more data, such as a second firm. The demo firm starts empty unless `demoHistory` is true or
 * PLUMBLINE_DEMO_HISTORY=1, either of which loads the simulated history that `npm start` loads.
 */
export async function startBrowserEnvironment({ extraSql, demoHistory = process.env.PLUMBLINE_DEMO_HISTORY === "1" } = {}) {
  const persistTo = mkdtempSync(join(tmpdir(), "plumbline-browser-"));
  const stack = await startLocalStack({
    apiPort: await freePort(),
    dashboardPort: await freePort(),
    demoPort: await freePort(),
    persistTo,
    quiet: true,
    extraSql,
    demoHistory,
  });
  const browser = await chromium.launch({
    executablePath: findChromium(),
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
  });

  return {
    apiUrl: stack.apiUrl,
    dashboardUrl: stack.dashboardUrl,
    demoUrl: stack.demoUrl,
    browser,
    /** Calls the API as the demo firm (or with `apiKey`), failing on any status but 2xx. */
    async api(path, { method = "GET", body, apiKey = DEMO_API_KEY } = {}) {
      const headers = { authorization: `Bearer ${apiKey}` };
      if (body !== undefined) headers["content-type"] = "application/json";
      const response = await fetch(`${stack.apiUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
      return response.status === 204 ? null : response.json();
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

/**
 * Opens a browser context signed in to the dashboard with an API key in the session cookie, the way local
 * development works before a person signs in. The API then acts as the key's firm.
 */
export async function signedInContext(environment, { apiKey = DEMO_API_KEY, viewport } = {}) {
  const context = await environment.browser.newContext(viewport ? { viewport } : {});
  await context.addCookies([{ name: "pl_session", value: apiKey, url: environment.dashboardUrl, httpOnly: true, sameSite: "Lax" }]);
  return context;
}

/** Sends an enquiry to a form through the API, as the snippet would, and returns its reference. */
export async function sendEnquiry(environment, formKey, fields, attribution = {}) {
  const response = await fetch(`${environment.apiUrl}/v1/forms/${formKey}/submissions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ fields, attribution }),
  });
  if (!response.ok) throw new Error(`The enquiry to form ${formKey} answered ${response.status}: ${await response.text()}`);
  return (await response.json()).reference;
}

/**
 * Signs `email` in without the sign-in form and returns a new browser context (made with `contextOptions`) with
 * the session. It requests a sign-in link from the API and reads the newest one sent to that address from the
 * local outbox, for up to ten seconds because the API sends the email just after its response.
 */
export async function signInWithLink(environment, email, contextOptions = {}) {
  const requested = await fetch(`${environment.apiUrl}/v1/auth/sign-in-links`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email }),
  });
  if (requested.status !== 202) throw new Error(`Asking for a sign-in link for ${email} answered ${requested.status}.`);

  let link = null;
  for (let attempt = 0; attempt < 20 && !link; attempt += 1) {
    const outbox = await (await fetch(`${environment.apiUrl}/dev/outbox`)).text();
    const article = outbox.split("<article>").find((text) => text.includes(`to ${email}`) && text.includes("/auth/verify?token="));
    link = article ? (/https?:\/\/[^\s"<]+\/auth\/verify\?token=[^\s"<]+/.exec(article)?.[0]?.replace(/&amp;/g, "&") ?? null) : null;
    if (!link) await new Promise((resolve) => setTimeout(resolve, 500));
  }
  if (!link) throw new Error(`No sign-in link for ${email} reached ${environment.apiUrl}/dev/outbox within ten seconds.`);

  const context = await environment.browser.newContext(contextOptions);
  const page = await context.newPage();
  await page.goto(link);
  await page.waitForLoadState("networkidle");
  await page.getByRole("button", { name: "Sign in to Plumbline" }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/auth/verify"));
  await page.close();
  return context;
}
