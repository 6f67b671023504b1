// The partners' dashboard in a real browser against the local stack: the pipeline, an opportunity, its task, a
// setting, CSRF and firm isolation, and sign-in through the local outbox once the API offers it.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { findOpportunityByEmail, sendEnquiry, signedInContext, startBrowserEnvironment } from "./support.mjs";

const OTHER_API_KEY = "pl_test_otherfirmbrowser";

/** A second firm with its own form and API key, so the tests can try to reach its records from the demo firm. */
const OTHER_FIRM_SQL = `
INSERT INTO firms (id, name, slug, working_hours, website_hosts, created_at, updated_at)
VALUES ('firm_other', 'Other Firm LLP', 'other-firm', '[{"day":1,"start":"09:00","end":"17:30"}]', '["127.0.0.1"]',
        unixepoch('now') * 1000, unixepoch('now') * 1000);
INSERT INTO forms (id, firm_id, key, name, allowed_origins, fields, service_lines, submit_label, success_message,
                   honeypot_field, client_rate_limit_per_hour, form_rate_limit_per_hour, created_at, updated_at)
VALUES ('form_other', 'firm_other', 'other', 'Contact', '[]',
        '[{"name":"name","label":"Name","type":"text","required":true},{"name":"email","label":"Email","type":"email","required":false}]',
        '{"field":"service","values":{},"fallback":"General"}', 'Send', 'Thanks.', '_pl_hp', 200, 2000, unixepoch('now') * 1000, unixepoch('now') * 1000);
INSERT INTO api_keys (id, firm_id, name, prefix, key_hash, created_at)
VALUES ('key_other', 'firm_other', 'Browser test key', 'pl_test_oth', '${createHash("sha256").update(OTHER_API_KEY).digest("hex")}',
        unixepoch('now') * 1000);
`;

/**
 * A demo-firm opportunity stalled for five days whose task is three days overdue, for the Attention page. Its
 * enquiry and acknowledgement share one millisecond, as in a fast delivery, and were recorded in that order.
 */
const STALLED_SQL = `
INSERT INTO contacts (id, firm_id, name, email, email_normalised, created_at, updated_at)
VALUES ('con_stalled_browser', 'firm_demo', 'Stella Stalled', 'stella.stalled@example.com', 'stella.stalled@example.com',
        unixepoch('now') * 1000 - 20 * 86400000, unixepoch('now') * 1000 - 20 * 86400000);
INSERT INTO opportunities (id, firm_id, contact_id, reference, stage, currency, origin, channel, last_touch_channel, attribution,
                           created_at, updated_at, last_activity_at, stage_entered_at, stalled_at, stalled_reason)
VALUES ('opp_stalled_browser', 'firm_demo', 'con_stalled_browser', 'ENQ-STAL-LED1', 'acknowledged', 'GBP', 'web_form', 'direct', 'direct', '{}',
        unixepoch('now') * 1000 - 20 * 86400000, unixepoch('now') * 1000 - 5 * 86400000, unixepoch('now') * 1000 - 20 * 86400000,
        unixepoch('now') * 1000 - 20 * 86400000, unixepoch('now') * 1000 - 5 * 86400000, 'stage_overdue');
INSERT INTO tasks (id, firm_id, opportunity_id, assignee_user_id, kind, title, status, due_at, created_at, updated_at)
VALUES ('task_stalled_browser', 'firm_demo', 'opp_stalled_browser', 'user_demo_partner', 'respond_to_enquiry', 'Call Stella Stalled back', 'open',
        unixepoch('now') * 1000 - 3 * 86400000, unixepoch('now') * 1000 - 20 * 86400000, unixepoch('now') * 1000 - 20 * 86400000);
INSERT INTO activities (id, firm_id, opportunity_id, contact_id, type, cause, origin, occurred_at, data, created_at)
VALUES ('act_stalled_enquiry', 'firm_demo', 'opp_stalled_browser', 'con_stalled_browser', 'enquiry.received', 'web_form', 'plumbline',
        unixepoch('now') * 1000 - 20 * 86400000, '{"formName":"Contact form"}', unixepoch('now') * 1000 - 20 * 86400000);
INSERT INTO activities (id, firm_id, opportunity_id, contact_id, type, cause, origin, occurred_at, data, created_at)
VALUES ('act_stalled_acknowledgement_sent_1', 'firm_demo', 'opp_stalled_browser', NULL, 'acknowledgement_email.sent', 'automation', 'local',
        unixepoch('now') * 1000 - 20 * 86400000, '{"channel":"email","provider":"local","attempts":1}', unixepoch('now') * 1000 - 20 * 86400000);
`;

/**
 * Opens a page and waits until SvelteKit has started in it. Typing before then is lost, because hydration
 * sets each input back to its server-rendered value.
 */
async function openHydrated(page, url) {
  await page.goto(url);
  await page.waitForLoadState("networkidle");
}

/** Collects the page's console errors and uncaught exceptions, such as Content Security Policy violations. */
function collectConsoleErrors(page) {
  const errors = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  return errors;
}

/**
 * Opens the local outbox from the "check your email" page and returns the newest sign-in link sent to `email`.
 * The API sends the email after its response, so the outbox is read again for up to ten seconds.
 */
async function readSignInLink(page, email) {
  await page.getByRole("link", { name: "local outbox" }).click();
  for (let attempt = 0; attempt < 20; attempt += 1) {
    await page.waitForLoadState();
    const articles = await page.locator("article").allTextContents();
    const message = articles.find((text) => text.includes(`to ${email}`) && text.includes("/auth/verify?token="));
    const link = message ? /https?:\/\/\S+\/auth\/verify\?token=\S+/.exec(message)?.[0] : undefined;
    if (link) return link;
    await new Promise((resolve) => setTimeout(resolve, 500));
    await page.reload();
  }
  return null;
}

describe("dashboard", () => {
  let environment;
  let demoOpportunity;
  let otherOpportunityId;

  before(async () => {
    environment = await startBrowserEnvironment({ extraSql: `${OTHER_FIRM_SQL}${STALLED_SQL}` });
    await sendEnquiry(
      environment,
      "demo",
      { name: "Aoife Byrne", email: "aoife.dashboard@example.ie", service: "family", message: "I need advice about a separation." },
      { firstTouch: { utm_source: "google", utm_medium: "cpc", landingPage: "http://localhost/family", at: new Date().toISOString() } },
    );
    await sendEnquiry(environment, "other", { name: "Not Yours", email: "not.yours@example.com" });

    const contacts = await environment.api("/v1/contacts?limit=100");
    const contact = contacts.data.find((candidate) => candidate.email === "aoife.dashboard@example.ie");
    demoOpportunity = (await environment.api(`/v1/opportunities?contactId=${contact.id}`)).data[0];
    otherOpportunityId = (await environment.api("/v1/opportunities", { apiKey: OTHER_API_KEY })).data[0].id;
  });

  after(async () => {
    await environment?.stop();
  });

  it("pipeline shows the demo enquiry", async () => {
    const context = await signedInContext(environment);
    const page = await context.newPage();
    await page.goto(`${environment.dashboardUrl}/firms/firm_demo/pipeline`);

    const card = page.locator(".card", { has: page.getByRole("link", { name: "Aoife Byrne" }) });
    await card.waitFor();
    assert.match(await card.textContent(), new RegExp(demoOpportunity.reference));
    assert.match(await card.textContent(), /Paid search/);
    assert.match(await card.textContent(), /google \/ cpc/);

    await page.goto(`${environment.dashboardUrl}/firms/firm_demo/pipeline?channel=referral`);
    assert.equal(await page.getByRole("link", { name: "Aoife Byrne" }).count(), 0, "the channel filter hides a paid-search enquiry");

    await page.goto(`${environment.dashboardUrl}/firms/firm_demo/pipeline?stalled=stalled`);
    assert.equal(await page.getByRole("link", { name: "Aoife Byrne" }).count(), 0, "the stalled-only filter hides a new enquiry");
    await page.goto(`${environment.dashboardUrl}/firms/firm_demo/pipeline?stalled=moving&channel=paid_search`);
    await page.getByRole("link", { name: "Aoife Byrne" }).waitFor();
    await context.close();
  });

  it("opportunity page completes its task", async () => {
    const context = await signedInContext(environment);
    const page = await context.newPage();
    await page.goto(`${environment.dashboardUrl}/firms/firm_demo/pipeline`);
    await page.getByRole("link", { name: "Aoife Byrne" }).click();
    await page.waitForURL(/\/opportunities\//);

    await page.getByRole("heading", { name: "Timeline" }).waitFor();
    assert.equal(await page.getByRole("heading", { name: "Enquiry received" }).count(), 1);
    assert.match(await page.locator("#main-content").textContent(), /aoife\.dashboard@example\.ie/);

    await page.getByRole("button", { name: "Complete task" }).click();
    await page.getByRole("status").filter({ hasText: "Task completed." }).waitFor();

    const open = await environment.api("/v1/tasks?status=open&limit=100");
    assert.equal(open.data.filter((task) => task.opportunityId === demoOpportunity.id).length, 0, "no open task is left on the opportunity");
    await page.reload();
    assert.equal(await page.getByRole("heading", { name: "Task completed" }).count(), 1, "the timeline shows the completion");
    await context.close();
  });

  it("reason typed before hydration is kept", async () => {
    await sendEnquiry(environment, "demo", { name: "Reason Probe", email: "reason.probe@example.com" });
    const opportunity = await findOpportunityByEmail(environment, "reason.probe@example.com");
    const context = await signedInContext(environment);
    const page = await context.newPage();

    // Holds the page's scripts back until the reason is typed, as a slow connection does on a cold page.
    let releaseScripts;
    const scriptsHeld = new Promise((resolve) => (releaseScripts = resolve));
    await page.route(/\/_app\/immutable\/.+\.js$/, async (route) => {
      await scriptsHeld;
      await route.continue();
    });
    await page.goto(`${environment.dashboardUrl}/firms/firm_demo/opportunities/${opportunity.id}`, { waitUntil: "domcontentloaded" });
    const reason = "Engagement letter signed on paper.";
    await page.getByLabel("Reason", { exact: true }).fill(reason);
    releaseScripts();
    await page.waitForLoadState("networkidle");
    assert.equal(await page.getByLabel("Reason", { exact: true }).inputValue(), reason, "hydration keeps the typed reason");

    await page.getByRole("button", { name: "Set stage" }).click();
    await page.getByRole("status").filter({ hasText: /Stage (changed|kept)/ }).waitFor();
    const detail = await environment.api(`/v1/opportunities/${opportunity.id}`);
    assert.ok(detail.timeline.some((activity) => activity.data.reason === reason), "the timeline records the typed reason");
    await context.close();
  });

  it("pipeline and opportunity log no errors", async () => {
    const context = await signedInContext(environment);
    const page = await context.newPage();
    const errors = collectConsoleErrors(page);

    await openHydrated(page, `${environment.dashboardUrl}/firms/firm_demo/pipeline`);
    await page.getByRole("link", { name: "Aoife Byrne" }).click();
    await page.waitForURL(/\/opportunities\//);
    await page.getByRole("heading", { name: "Timeline" }).waitFor();
    await page.waitForLoadState("networkidle");
    await openHydrated(page, `${environment.dashboardUrl}/firms/firm_demo/opportunities/${demoOpportunity.id}`);

    assert.deepEqual(errors, [], "the console shows no errors, CSP violations included");
    await context.close();
  });

  it("setting change is saved", async () => {
    const context = await signedInContext(environment);
    const page = await context.newPage();
    await openHydrated(page, `${environment.dashboardUrl}/firms/firm_demo/settings/follow-up`);

    await page.getByLabel("Response target (working minutes)").fill("95");
    await page.getByLabel("Friday").fill("09:00-12:30, 13:30-16:00");
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.getByRole("status").filter({ hasText: "Settings saved." }).waitFor();

    const settings = await environment.api("/v1/settings/follow-up");
    assert.equal(settings.responseTargetMinutes, 95);
    assert.deepEqual(
      settings.workingHours.filter((range) => range.day === 5),
      [
        { day: 5, start: "09:00", end: "12:30" },
        { day: 5, start: "13:30", end: "16:00" },
      ],
    );
    await context.close();
  });

  it("member is marked away and back", async () => {
    const context = await signedInContext(environment);
    const page = await context.newPage();
    await openHydrated(page, `${environment.dashboardUrl}/firms/firm_demo/settings/members`);
    const backOn = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);

    await page.getByLabel("Back on").first().fill(backOn);
    await page.getByRole("button", { name: "Mark Eleanor Hartley away" }).click();
    await page.getByRole("status").filter({ hasText: "Marked away." }).waitFor();
    const away = (await environment.api("/v1/members")).data.find((member) => member.userId === "user_demo_partner");
    assert.equal(away.away, true);
    const londonTime = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/London", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    assert.equal(londonTime.format(new Date(away.awayUntil)), `${backOn}, 00:00`, "away until the start of that day in the firm's time zone");

    await page.getByRole("button", { name: "Mark Eleanor Hartley back" }).click();
    await page.getByRole("status").filter({ hasText: "Marked back." }).waitFor();
    const back = (await environment.api("/v1/members")).data.find((member) => member.userId === "user_demo_partner");
    assert.equal(back.away, false);
    await context.close();
  });

  it("invalid setting is shown at its field", async () => {
    const context = await signedInContext(environment);
    const page = await context.newPage();
    await openHydrated(page, `${environment.dashboardUrl}/firms/firm_demo/settings/follow-up`);

    await page.getByLabel("Monday").fill("17:00-09:00");
    await page.getByRole("button", { name: "Save settings" }).click();
    const monday = page.getByLabel("Monday");
    await page.locator('#hours-1[aria-invalid="true"]').waitFor();
    const describedBy = await monday.getAttribute("aria-describedby");
    assert.ok(describedBy?.includes("hours-1-error"), "the error is tied to the field");
    assert.notEqual((await page.locator("#hours-1-error").textContent()).trim(), "");

    const settings = await environment.api("/v1/settings/follow-up");
    assert.deepEqual(settings.workingHours.filter((range) => range.day === 1), [{ day: 1, start: "09:00", end: "17:30" }], "nothing was saved");
    await context.close();
  });

  it("attention lists overdue and stalled work", async () => {
    const context = await signedInContext(environment);
    const page = await context.newPage();
    await page.goto(`${environment.dashboardUrl}/firms/firm_demo/attention`);

    const overdue = page.locator("section", { has: page.getByRole("heading", { name: /^Overdue tasks/ }) });
    assert.match(await overdue.textContent(), /Call Stella Stalled back/);
    const allTasks = overdue.getByRole("link", { name: /overdue tasks in Tasks/ });
    assert.equal(await allTasks.getAttribute("href"), "/firms/firm_demo/tasks?scope=everyone");

    const stalled = page.locator("section", { has: page.getByRole("heading", { name: /^Stalled opportunities/ }) });
    assert.match(await stalled.getByRole("heading").textContent(), /\(1\)/, "the heading counts the one stalled opportunity");
    const opportunityLink = stalled.getByRole("link", { name: "Stella Stalled" });
    assert.equal(await opportunityLink.getAttribute("href"), "/firms/firm_demo/opportunities/opp_stalled_browser");
    assert.match(await stalled.textContent(), /No activity for more than .* in Acknowledged\./, "the stall's reason is shown");

    assert.equal(await page.getByText("Nothing needs attention.").count(), 0);
    await context.close();
  });

  it("timeline orders and names deliveries", async () => {
    const context = await signedInContext(environment);
    const page = await context.newPage();
    await page.goto(`${environment.dashboardUrl}/firms/firm_demo/opportunities/opp_stalled_browser`);

    // Both entries share a millisecond, and the acknowledgement's id sorts first, so only the written order puts
    // the enquiry below its acknowledgement, newest first.
    const titles = await page.locator(".entry h3").allTextContents();
    assert.deepEqual(titles, ["Acknowledgement email sent", "Enquiry received"]);

    const acknowledgement = page.locator(".entry", { has: page.getByRole("heading", { name: "Acknowledgement email sent" }) });
    const details = await acknowledgement.textContent();
    assert.match(details, /Sent through the local outbox \(no mail provider set up\)\./);
    assert.doesNotMatch(details, /through local\./);
    await context.close();
  });

  it("another firm's opportunity is not found", async () => {
    const context = await signedInContext(environment);
    const page = await context.newPage();
    const response = await page.goto(`${environment.dashboardUrl}/firms/firm_demo/opportunities/${otherOpportunityId}`);
    assert.equal(response.status(), 404);
    assert.equal(await page.getByRole("heading", { name: "Not found" }).count(), 1);
    assert.doesNotMatch(await page.content(), /Not Yours|not\.yours@example\.com/);
    await context.close();
  });

  it("form post without CSRF token is rejected", async () => {
    await sendEnquiry(environment, "demo", { name: "Csrf Probe", email: "csrf.probe@example.com" });
    const open = await environment.api("/v1/tasks?status=open&limit=100");
    const task = open.data[0];
    assert.ok(task, "an open task exists to try to complete");
    const url = `${environment.dashboardUrl}/firms/firm_demo/tasks?/complete`;
    const headers = { cookie: "pl_session=pl_test_demo", "content-type": "application/x-www-form-urlencoded", origin: environment.dashboardUrl };

    const missing = await fetch(url, { method: "POST", headers, body: new URLSearchParams({ taskId: task.id }), redirect: "manual" });
    assert.equal(missing.status, 403);
    const wrong = await fetch(url, { method: "POST", headers, body: new URLSearchParams({ taskId: task.id, csrf: "forged" }), redirect: "manual" });
    assert.equal(wrong.status, 403);
    const crossSite = await fetch(url, {
      method: "POST",
      headers: { ...headers, origin: "http://attacker.example" },
      body: new URLSearchParams({ taskId: task.id, csrf: "forged" }),
      redirect: "manual",
    });
    assert.equal(crossSite.status, 403, "SvelteKit's origin check rejects a cross-site form post");

    const after = await environment.api("/v1/tasks?status=open&limit=100");
    assert.ok(after.data.some((candidate) => candidate.id === task.id), "the task is still open");
  });

  it("back after sign-out hides the client", async () => {
    const context = await signedInContext(environment);
    const page = await context.newPage();
    const opened = await page.goto(`${environment.dashboardUrl}/firms/firm_demo/opportunities/${demoOpportunity.id}`);
    assert.equal(opened.headers()["cache-control"], "no-store", "a signed-in page is not stored by the browser");
    await page.getByRole("heading", { name: "Aoife Byrne" }).waitFor();
    await page.waitForLoadState("networkidle");

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/sign-in$/);
    await page.goBack();
    await page.waitForLoadState("networkidle");
    assert.equal(new URL(page.url()).pathname, "/sign-in", "Back lands on sign-in, not the stored opportunity page");
    assert.doesNotMatch(await page.content(), /Aoife Byrne|aoife\.dashboard@example\.ie/);
    await context.close();
  });

  it("signed-out visitor is sent to sign-in", async () => {
    const page = await environment.browser.newPage();
    await page.goto(`${environment.dashboardUrl}/firms/firm_demo/pipeline`);
    await page.waitForURL(/\/sign-in\?next=/);
    assert.equal(await page.getByLabel("Email address").count(), 1);
    await page.close();
  });

  /** Signs in through the dashboard's form and the local outbox, and returns the page after the last click. */
  async function signInThroughOutbox(context, email) {
    const page = await context.newPage();
    await openHydrated(page, `${environment.dashboardUrl}/sign-in`);
    await page.getByLabel("Email address").fill(email);
    await page.getByRole("button", { name: "Email me a sign-in link" }).click();
    await page.getByRole("heading", { name: "Check your email" }).waitFor();

    const link = await readSignInLink(page, email);
    assert.ok(link, `the outbox holds the sign-in email to ${email} with its link`);
    await openHydrated(page, link.replace(/&amp;/g, "&"));
    await page.getByRole("button", { name: "Sign in to Plumbline" }).click();
    return page;
  }

  it("sign-in link from the outbox opens the pipeline", async () => {
    const context = await environment.browser.newContext();
    const page = await signInThroughOutbox(context, "partner@hartley-moss.example");

    await page.waitForURL(/\/firms\/firm_demo\/pipeline/);
    await page.getByRole("link", { name: "Aoife Byrne" }).waitFor();
    const cookie = (await context.cookies()).find((candidate) => candidate.name === "pl_session");
    assert.ok(cookie?.httpOnly, "the session cookie is HttpOnly");
    assert.equal(cookie?.sameSite, "Lax");

    const otherFirm = await page.goto(`${environment.dashboardUrl}/firms/firm_other/pipeline`);
    assert.equal(otherFirm.status(), 404, "a firm the partner does not belong to is not found");
    const otherOpportunity = await page.goto(`${environment.dashboardUrl}/firms/firm_demo/opportunities/${otherOpportunityId}`);
    assert.equal(otherOpportunity.status(), 404);

    await page.goto(`${environment.dashboardUrl}/firms/firm_demo/settings/routing`);
    // The demo seed has two rules; a partner reads them in disabled fields, with no blank rows for new ones.
    const ruleFields = page.locator('input[name^="serviceLine-"]');
    assert.equal(await ruleFields.count(), 2, "a partner sees the two rules and no blank rows");
    assert.equal(await ruleFields.first().inputValue(), "Private client");
    assert.ok(await ruleFields.first().isDisabled(), "a partner cannot edit a rule");

    await openHydrated(page, `${environment.dashboardUrl}/firms/firm_demo/tasks`);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/sign-in$/);
    const revoked = await fetch(`${environment.apiUrl}/v1/me`, { headers: { authorization: `Bearer ${cookie.value}` } });
    assert.equal(revoked.status, 401, "signing out revokes the session on the API");
    await context.close();
  });

  it("agency admin switches between firms", async () => {
    const context = await environment.browser.newContext();
    const page = await signInThroughOutbox(context, "admin@northgate.example");

    await page.getByRole("heading", { name: "Choose a firm" }).waitFor();
    await page.getByRole("link", { name: "Hartley & Moss Solicitors" }).click();
    await page.waitForURL(/\/firms\/firm_demo\/pipeline/);
    await page.waitForLoadState("networkidle");

    assert.equal(await page.getByRole("button", { name: "Switch firm" }).count(), 0, "with scripts, choosing a firm is enough");
    await page.getByLabel("Firm").selectOption("firm_demo_ashworth");
    await page.waitForURL(/\/firms\/firm_demo_ashworth\/pipeline/);
    assert.equal(await page.getByRole("link", { name: "Aoife Byrne" }).count(), 0, "the other firm's pipeline does not show this firm's enquiry");

    const withoutScripts = await environment.browser.newContext({ javaScriptEnabled: false });
    await withoutScripts.addCookies(await context.cookies());
    const plainPage = await withoutScripts.newPage();
    await plainPage.goto(`${environment.dashboardUrl}/firms/firm_demo_ashworth/pipeline`);
    await plainPage.getByLabel("Firm").selectOption("firm_demo");
    await plainPage.getByRole("button", { name: "Switch firm" }).click();
    await plainPage.waitForURL(/\/firms\/firm_demo\/pipeline/);
    await withoutScripts.close();

    const otherFirm = await page.goto(`${environment.dashboardUrl}/firms/firm_other/pipeline`);
    assert.equal(otherFirm.status(), 404, "a firm outside the agency is not found");
    await context.close();
  });
});
