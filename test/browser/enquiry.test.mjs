// The whole enquiry path in a real browser: a prospect lands on the demo firm's website from an ad, moves to the
// contact page, sends the form, and the opportunity appears through the API with its channel.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { findOpportunityByEmail, startBrowserEnvironment } from "./support.mjs";

describe("demo website enquiry", () => {
  let environment;

  before(async () => {
    environment = await startBrowserEnvironment();
  });

  after(async () => {
    await environment?.stop();
  });

  it("carries ad attribution to the opportunity", async () => {
    const page = await environment.browser.newPage();
    const landing = `${environment.demoUrl}/index.html?utm_source=google&utm_medium=cpc&utm_campaign=family-law-spring&gclid=TEST-GCLID-1`;
    await page.goto(landing);
    await page.click('a[href="contact.html"]');
    await page.waitForURL(/contact\.html$/);

    await page.fill('input[name="name"]', "Siobhán O’Connor");
    await page.fill('input[name="email"]', "siobhan.browser@example.ie");
    await page.selectOption('select[name="service"]', "family");
    await page.fill('textarea[name="message"]', "I would like advice about a separation.");
    await page.click('button[type="submit"]');

    const status = page.locator("[data-plumbline-status]");
    await status.filter({ hasText: "Your reference is" }).waitFor({ timeout: 15_000 });
    const reference = /ENQ-[0-9A-Z]{4}-[0-9A-Z]{4}/.exec(await status.textContent())?.[0];
    assert.ok(reference, "the success message shows a reference");

    const opportunity = await findOpportunityByEmail(environment, "siobhan.browser@example.ie");
    assert.ok(opportunity, "the opportunity exists");
    assert.equal(opportunity.reference, reference);
    assert.equal(opportunity.stage, "new");
    assert.equal(opportunity.channel, "paid_search");
    assert.equal(opportunity.serviceLine, "Family");
    assert.equal(opportunity.source.utmCampaign, "family-law-spring");
    assert.match(opportunity.source.landingPage, /index\.html\?utm_source=google/);
    assert.equal(opportunity.contact.name, "Siobhán O’Connor");
    assert.equal(opportunity.timeline[0].type, "enquiry.received");
    await page.close();
  });

  it("double click sends one enquiry", async () => {
    const page = await environment.browser.newPage();
    let posts = 0;
    page.on("request", (request) => {
      if (request.method() === "POST" && request.url().includes("/submissions")) posts++;
    });
    await page.goto(`${environment.demoUrl}/contact.html`);
    await page.fill('input[name="name"]', "Double Clicker");
    await page.fill('input[name="email"]', "double.browser@example.com");
    await page.selectOption('select[name="service"]', "conveyancing");
    await page.fill('textarea[name="message"]', "We are buying a flat.");
    await page.dblclick('button[type="submit"]');
    await page.locator("[data-plumbline-status]").filter({ hasText: "Your reference is" }).waitFor({ timeout: 15_000 });

    assert.equal(posts, 1);
    const contacts = await environment.api("/v1/contacts?limit=100");
    assert.equal(contacts.data.filter((contact) => contact.email === "double.browser@example.com").length, 1);
    await page.close();
  });

  it("shows the server's field error", async () => {
    const page = await environment.browser.newPage();
    await page.goto(`${environment.demoUrl}/contact.html`);
    await page.fill('input[name="name"]', "No Contact Details");
    await page.selectOption('select[name="service"]', "employment");
    await page.fill('textarea[name="message"]', "I forgot to say how to reach me.");
    await page.click('button[type="submit"]');

    const error = page.locator("[data-plumbline-error]");
    await error.waitFor({ timeout: 15_000 });
    assert.match(await error.textContent(), /email address or a phone number/);
    assert.equal(await page.getAttribute('input[name="email"]', "aria-invalid"), "true");
    await page.close();
  });

  it("plain form works without JavaScript", async () => {
    const context = await environment.browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${environment.demoUrl}/contact.html?utm_source=newsletter&utm_medium=email`);
    await page.fill('input[name="name"]', "No Script");
    await page.fill('input[name="email"]', "noscript.browser@example.com");
    await page.selectOption('select[name="service"]', "wills-probate");
    await page.fill('textarea[name="message"]', "Sent with scripts turned off.");
    await Promise.all([page.waitForURL(/\/thanks\?reference=ENQ-/, { timeout: 15_000 }), page.click('button[type="submit"]')]);
    assert.match(await page.textContent("h1"), /Thank you/);

    const opportunity = await findOpportunityByEmail(environment, "noscript.browser@example.com");
    assert.ok(opportunity, "the opportunity exists");
    // Without the snippet only the Referer header speaks for the source, and Chromium's default referrer policy
    // sends just the origin of a cross-origin post: the firm's own site, which is never a source.
    assert.equal(opportunity.channel, "direct");
    await context.close();
  });

  it("phone-only enquiry is accepted", async () => {
    const page = await environment.browser.newPage();
    await page.goto(`${environment.demoUrl}/contact.html`);
    await page.fill('input[name="name"]', "Phone Only");
    await page.fill('input[name="phone"]', "07911 123987");
    await page.selectOption('select[name="service"]', "family");
    await page.fill('textarea[name="message"]', "Please ring me after six.");
    await page.click('button[type="submit"]');
    await page.locator("[data-plumbline-status]").filter({ hasText: "Your reference is" }).waitFor({ timeout: 15_000 });

    const contacts = await environment.api("/v1/contacts?limit=100");
    const contact = contacts.data.find((candidate) => candidate.phoneE164 === "+447911123987");
    assert.ok(contact, "the phone-only contact exists");
    assert.equal(contact.email, null);
    await page.close();
  });

  it("rendered form submits from the keyboard", async () => {
    const page = await environment.browser.newPage();
    await page.goto(`${environment.demoUrl}/render.html`);
    const form = page.locator("[data-plumbline-form] form");
    await form.waitFor({ timeout: 15_000 });

    await page.getByLabel("Full name").fill("Keyboard User");
    await page.getByLabel("Email address").fill("keyboard.browser@example.com");
    await page.getByLabel("Your message").focus();
    await page.keyboard.type("Typed without a mouse.");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");

    await page.locator("[data-plumbline-status]").filter({ hasText: "Your reference is" }).waitFor({ timeout: 15_000 });
    assert.ok(await findOpportunityByEmail(environment, "keyboard.browser@example.com"));
    await page.close();
  });
});
