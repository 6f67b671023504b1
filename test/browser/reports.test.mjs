// The reports page in a real browser against the local stack with the demo firm's simulated history. A few
// enquiries made here give known figures. Every chart and table renders, filters narrow the reports, the CSV
// downloaded through the dashboard is the API's CSV byte for byte, and another firm's viewer is turned away.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { DEMO_API_KEY, findOpportunityByEmail, sendEnquiry, signInWithLink, startBrowserEnvironment } from "./support.mjs";

const VIEWER_EMAIL = "viewer@other-firm.example";

/** A second firm with one viewer, who must not reach the demo firm's reports. */
const OTHER_FIRM_SQL = `
INSERT INTO firms (id, name, slug, working_hours, website_hosts, created_at, updated_at)
VALUES ('firm_other', 'Other Firm LLP', 'other-firm', '[{"day":1,"start":"09:00","end":"17:30"}]', '["127.0.0.1"]',
        unixepoch('now') * 1000, unixepoch('now') * 1000);
INSERT INTO users (id, email, name, created_at)
VALUES ('user_other_viewer', '${VIEWER_EMAIL}', 'Vic Viewer', unixepoch('now') * 1000);
INSERT INTO memberships (firm_id, user_id, role, away_until, created_at)
VALUES ('firm_other', 'user_other_viewer', 'viewer', NULL, unixepoch('now') * 1000);
`;

const PARTNER_EMAIL = "partner@hartley-moss.example";
const CAMPAIGN = "reports-browser-test";
/** £1,234.56, won on the paid-search enquiry below. */
const WON_VALUE_MINOR = 123_456;

/**
 * CSP hash of the inline style on SvelteKit's own route announcer (a hidden live region in its generated root
 * component), which every dashboard page triggers. It is SvelteKit's, not the reports', so the check skips it.
 */
const ANNOUNCER_STYLE_HASH = "sha256-S8qMpvofolR8Mpjy4kQvEm7m1q8clzU4dfDH0AmvZjo=";

const SECTIONS = ["channels-to-revenue", "speed-to-lead", "pipeline-health", "service-line-by-channel", "seasonality"];

/**
 * Splits CSV text into rows of cells at line breaks and commas. Enough for the checks here: the header and the
 * test's own rows contain no quoted cells. The API's quoting rules have their own tests in test/api.
 */
function splitCsv(text) {
  return text
    .split("\r\n")
    .filter((line) => line !== "")
    .map((line) => line.split(","));
}

/** Polls a report until `ready` accepts it, because the facts behind the reports are written as events arrive. */
async function waitForReport(environment, path, ready) {
  let report = null;
  for (let attempt = 0; attempt < 40; attempt++) {
    report = await environment.api(path);
    if (ready(report)) return report;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  assert.fail(`${path} never showed the test's data: ${JSON.stringify(report).slice(0, 500)}`);
}

describe("reports page", () => {
  let environment;
  let partner;

  before(async () => {
    environment = await startBrowserEnvironment({ extraSql: OTHER_FIRM_SQL, demoHistory: true });
    const now = new Date().toISOString();
    await sendEnquiry(
      environment,
      "demo",
      { name: "Reports Paid", email: "reports.paid@example.com", service: "family", message: "Advice about a separation, please." },
      { firstTouch: { utm_source: "google", utm_medium: "cpc", utm_campaign: CAMPAIGN, landingPage: "http://localhost/family", at: now } },
    );
    await sendEnquiry(
      environment,
      "demo",
      { name: "Reports Referral", email: "reports.referral@example.com", service: "conveyancing", message: "We are buying a house." },
      { firstTouch: { referrer: "https://www.example.org/", landingPage: "http://localhost/conveyancing", at: now } },
    );
    const paid = await findOpportunityByEmail(environment, "reports.paid@example.com");
    await environment.api(`/v1/opportunities/${paid.id}/events`, { method: "POST", body: { type: "won", valueMinor: WON_VALUE_MINOR } });
    await waitForReport(environment, "/v1/reports/channels-to-revenue", (report) => report.rows.some((row) => row.campaign === CAMPAIGN && row.feesWonMinor === WON_VALUE_MINOR));

    partner = await signInWithLink(environment, PARTNER_EMAIL);
  });

  after(async () => {
    await partner?.close();
    await environment?.stop();
  });

  it("every report draws its charts and tables", async () => {
    const page = await partner.newPage();
    const cspErrors = [];
    page.on("console", (message) => {
      const text = message.text();
      if (message.type() === "error" && /Content Security Policy/i.test(text) && !text.includes(ANNOUNCER_STYLE_HASH)) cspErrors.push(text);
    });
    const response = await page.goto(`${environment.dashboardUrl}/firms/firm_demo/reports`);
    assert.equal(response.status(), 200);

    for (const id of SECTIONS) {
      const section = page.locator(`section#${id}`);
      const charts = section.locator("figure svg.chart");
      assert.ok((await charts.count()) > 0, `${id} has a chart`);
      for (let index = 0; index < (await charts.count()); index++) {
        const chart = charts.nth(index);
        assert.ok((await chart.getAttribute("aria-label"))?.length > 0, `${id} chart ${index} has a text alternative`);
        assert.ok((await chart.locator(".chart-mark").count()) > 0, `${id} chart ${index} draws marks`);
      }
      assert.ok((await section.locator("figure figcaption").count()) > 0, `${id} charts have captions`);
      assert.ok((await section.locator("table tbody tr").count()) > 0, `${id} has table rows`);
    }

    const channels = page.locator("section#channels-to-revenue table");
    assert.match(await channels.textContent(), /£1,234\.56/, "the won fee shows in pounds");
    assert.deepEqual(cspErrors, [], "nothing on the page breaks the Content Security Policy");
    assert.equal(await page.locator("#main-content [style]").count(), 0, "no inline style attribute, which the CSP would block");
    await page.close();
  });

  it("filter narrows the reports through the URL", async () => {
    const page = await partner.newPage();
    await page.goto(`${environment.dashboardUrl}/firms/firm_demo/reports`);
    await page.waitForLoadState("networkidle");
    await page.getByLabel("Channel", { exact: true }).selectOption("paid_search");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.waitForURL(/[?&]channel=paid_search/);

    // Enquiries count under each deal's first-touch channel, so only paid search has any. Other channels may
    // still have a row for the fees their later touches earned, such as a meeting booked after a paid-search visit.
    const enquiryTable = page.locator("section#channels-to-revenue table", { has: page.locator("caption", { hasText: "by channel and campaign" }) });
    const rows = await enquiryTable.locator("tbody tr").evaluateAll((trs) =>
      trs.map((tr) => ({ channel: tr.querySelector("th")?.textContent?.trim(), enquiries: tr.querySelectorAll("td")[1]?.textContent?.trim() })),
    );
    assert.ok(rows.some((row) => row.channel === "Paid search"), "paid search has rows");
    const othersWithEnquiries = rows.filter((row) => row.channel !== "Paid search" && row.enquiries !== "0");
    assert.deepEqual(othersWithEnquiries, [], "only paid search has enquiries");
    const columns = await page.locator("section#service-line-by-channel table thead th").allTextContents();
    assert.deepEqual(columns, ["Service line", "Paid search", "All channels"]);
    await page.close();
  });

  it("invalid date is shown beside the filters", async () => {
    const page = await partner.newPage();
    const response = await page.goto(`${environment.dashboardUrl}/firms/firm_demo/reports?from=2026-02-30`);
    assert.equal(response.status(), 200);
    assert.match(await page.getByRole("alert").textContent(), /from/);
    assert.equal(await page.locator('#filter-from[aria-invalid="true"]').count(), 1);
    assert.equal(await page.locator("section.report").count(), 0, "no report is shown for a period that does not exist");
    await page.close();
  });

  it("downloaded CSV equals the API's CSV", async () => {
    const page = await partner.newPage();
    // The API allows five years at most; three years back covers the demo history and today's enquiries, which
    // are dated in the firm's time zone.
    const today = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/London" }).format(new Date());
    const from = `${Number(today.slice(0, 4)) - 3}${today.slice(4)}`.replace(/-02-29$/, "-02-28");
    const query = `from=${from}&to=${today}&channel=paid_search`;
    await page.goto(`${environment.dashboardUrl}/firms/firm_demo/reports?${query}`);

    for (const [id, title] of [
      ["channels-to-revenue", "Channels to revenue"],
      ["service-line-by-channel", "Service line by channel"],
      ["seasonality", "Seasonality"],
    ]) {
      const link = page.getByRole("link", { name: `Download CSV of ${title}` });
      const href = await link.getAttribute("href");
      assert.equal(href, `/firms/firm_demo/reports/${id}.csv?${query}`, `${id} link keeps the filters`);

      const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
      assert.equal(download.suggestedFilename(), `${id}_${from}_${today}.csv`);
      const downloaded = await readFile(await download.path());

      const fromApi = await fetch(`${environment.apiUrl}/v1/reports/${id}?${query}&format=csv`, { headers: { authorization: `Bearer ${DEMO_API_KEY}` } });
      assert.equal(fromApi.status, 200);
      const expected = Buffer.from(await fromApi.arrayBuffer());
      assert.ok(downloaded.equals(expected), `${id} CSV through the dashboard is byte for byte the API's`);

      if (id === "channels-to-revenue") {
        const [header, ...rows] = splitCsv(downloaded.toString("utf8"));
        const row = rows.find((cells) => cells[header.indexOf("Campaign")] === CAMPAIGN);
        assert.ok(row, "the CSV has the test's campaign");
        assert.equal(row[header.indexOf("Fees won (GBP)")], "1234.56");
        const pageRow = page.locator("section#channels-to-revenue table tbody tr", { hasText: CAMPAIGN });
        assert.match(await pageRow.textContent(), /£1,234\.56/, "the page shows the CSV's fee");
      }
    }
    await page.close();
  });

  it("another firm's viewer cannot reach the reports", async () => {
    const viewer = await signInWithLink(environment, VIEWER_EMAIL);
    const page = await viewer.newPage();

    const own = await page.goto(`${environment.dashboardUrl}/firms/firm_other/reports`);
    assert.equal(own.status(), 200, "a viewer can open their own firm's reports");

    const response = await page.goto(`${environment.dashboardUrl}/firms/firm_demo/reports`);
    assert.equal(response.status(), 404);
    assert.doesNotMatch(await page.content(), new RegExp(CAMPAIGN));

    const csv = await viewer.request.get(`${environment.dashboardUrl}/firms/firm_demo/reports/channels-to-revenue.csv`);
    assert.equal(csv.status(), 404);
    assert.doesNotMatch(await csv.text(), new RegExp(CAMPAIGN));
    await viewer.close();
  });
});
