import { opportunities } from "@plumbline/db";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { errorOf, fakeBaseUrl, fakeRequests, submitJson } from "../support/api";
import { callAs, seedUser, sessionFor } from "../support/auth";
import { seedIntegration, settledMessages } from "../support/follow-up";
import { seedTwoFirms, testDatabase } from "../support/seed";

type FormBody = { id: string; key: string; name: string; allowedOrigins: string[]; snippet: string };

describe("forms admin", () => {
  it("lists the firm's forms with a snippet", async () => {
    const [firm, other] = await seedTwoFirms();
    const response = await callAs(firm.apiKey, firm.firmId, "/v1/forms-admin");
    const body = (await response.json()) as { data: FormBody[] };

    expect(response.status).toBe(200);
    expect(body.data.map((form) => form.id)).toEqual([firm.formId]);
    expect(body.data.map((form) => form.id)).not.toContain(other.formId);
    expect(body.data[0]!.snippet).toContain(`data-plumbline-form="${firm.formKey}"`);
    expect(body.data[0]!.snippet).toContain("/embed.js");
  });

  it("admin replaces allowed origins", async () => {
    const [firm] = await seedTwoFirms();
    const token = (await sessionFor(await seedUser("Admin", { [firm.firmId]: "admin" }))).token;
    const response = await callAs(token, firm.firmId, `/v1/forms-admin/${firm.formId}`, {
      method: "PATCH",
      body: JSON.stringify({ name: "Contact us", allowedOrigins: ["https://www.firm.example", "https://*.firm.example"] }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ name: "Contact us", allowedOrigins: ["https://www.firm.example", "https://*.firm.example"] });
  });

  it.each(["www.firm.example", "https://firm.example/contact", "ftp://firm.example", "https://firm.example:99999"])("origin %s is rejected", async (origin) => {
    const [firm] = await seedTwoFirms();
    const response = await callAs(firm.apiKey, firm.firmId, `/v1/forms-admin/${firm.formId}`, { method: "PATCH", body: JSON.stringify({ allowedOrigins: [origin] }) });
    expect(response.status).toBe(422);
    expect((await errorOf(response)).field).toBe("allowedOrigins.0");
  });

  it("another firm's form is not found", async () => {
    const [firm, other] = await seedTwoFirms();
    const response = await callAs(firm.apiKey, firm.firmId, `/v1/forms-admin/${other.formId}`, { method: "PATCH", body: JSON.stringify({ name: "Taken over" }) });
    expect(response.status).toBe(404);
  });

  it("empty change is 422", async () => {
    const [firm] = await seedTwoFirms();
    const response = await callAs(firm.apiKey, firm.firmId, `/v1/forms-admin/${firm.formId}`, { method: "PATCH", body: "{}" });
    expect(response.status).toBe(422);
  });
});

describe("integration test send", () => {
  it("mail test goes to the signed-in person", async () => {
    const [firm] = await seedTwoFirms();
    const email = `admin-${crypto.randomUUID().slice(0, 8)}@firm.example`;
    const token = (await sessionFor(await seedUser("Admin", { [firm.firmId]: "admin" }, email))).token;
    const integrationId = await seedIntegration(firm.firmId, "mail", "postmark", `ok-${firm.firmId}`);

    const response = await callAs(token, firm.firmId, `/v1/integrations/${integrationId}/test`, { method: "POST" });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    const sent = (await fakeRequests("/postmark")).filter((request) => request.body.includes(email));
    expect(sent).toHaveLength(1);
  });

  it("provider refusal is 502 with its reason", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedIntegration(firm.firmId, "mail", "postmark", `bad-${firm.firmId}`);
    const response = await callAs(firm.apiKey, firm.firmId, `/v1/integrations/${integrationId}/test`, {
      method: "POST",
      body: JSON.stringify({ to: "someone@firm.example" }),
    });
    expect(response.status).toBe(502);
    const error = await errorOf(response);
    expect(error.code).toBe("integration_test_failed");
    expect(error.message).toContain("postmark");
  });

  it("API key must name a recipient for mail", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedIntegration(firm.firmId, "mail", "postmark", `ok-${firm.firmId}`);
    const response = await callAs(firm.apiKey, firm.firmId, `/v1/integrations/${integrationId}/test`, { method: "POST" });
    expect(response.status).toBe(422);
    expect((await errorOf(response)).field).toBe("to");
  });

  it("Slack test posts a card", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedIntegration(firm.firmId, "chat", "slack", `${fakeBaseUrl()}/slack/services/T9/${firm.firmId}/ok`);
    const response = await callAs(firm.apiKey, firm.firmId, `/v1/integrations/${integrationId}/test`, { method: "POST" });
    expect(response.status).toBe(200);
    expect(await fakeRequests(`/slack/services/T9/${firm.firmId}`)).toHaveLength(1);
  });

  it("archived Slack channel is 502", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedIntegration(firm.firmId, "chat", "slack", `${fakeBaseUrl()}/slack/services/T9/${firm.firmId}/channel_is_archived`);
    const response = await callAs(firm.apiKey, firm.firmId, `/v1/integrations/${integrationId}/test`, { method: "POST" });
    expect(response.status).toBe(502);
  });

  it("another firm's integration is not found", async () => {
    const [firm, other] = await seedTwoFirms();
    const integrationId = await seedIntegration(other.firmId, "mail", "postmark", `ok-${other.firmId}`);
    const response = await callAs(firm.apiKey, firm.firmId, `/v1/integrations/${integrationId}/test`, { method: "POST", body: JSON.stringify({ to: "a@firm.example" }) });
    expect(response.status).toBe(404);
  });
});

describe("GET /v1/opportunities/summary", () => {
  type Summary = { stages: Array<{ stage: string; count: number; stalled: number; valueMinor: number }>; currency: string };

  async function twoEnquiries(formKey: string, firmId: string) {
    for (const label of ["one", "two"]) {
      await submitJson(formKey, { submissionId: `sum-${label}-${crypto.randomUUID().slice(0, 6)}`, fields: { name: `Summary ${label}`, email: `${label}@example.com`, service: "family" } });
    }
    await settledMessages(firmId);
  }

  it("counts per stage for this firm only", async () => {
    const [firm, other] = await seedTwoFirms();
    await twoEnquiries(firm.formKey, firm.firmId);
    await twoEnquiries(other.formKey, other.firmId);
    const rows = await testDatabase().select().from(opportunities).where(eq(opportunities.firmId, firm.firmId));
    await testDatabase()
      .update(opportunities)
      .set({ stalledAt: new Date(), valueMinor: 150_000 })
      .where(and(eq(opportunities.firmId, firm.firmId), eq(opportunities.id, rows[0]!.id)));

    const response = await callAs(firm.apiKey, firm.firmId, "/v1/opportunities/summary");
    const body = (await response.json()) as Summary;
    expect(response.status).toBe(200);
    expect(body.currency).toBe("GBP");
    expect(body.stages[0]!.stage).toBe("new");
    expect(body.stages.reduce((total, stage) => total + stage.count, 0)).toBe(2);
    expect(body.stages.reduce((total, stage) => total + stage.stalled, 0)).toBe(1);
    expect(body.stages.reduce((total, stage) => total + stage.valueMinor, 0)).toBe(150_000);
  });

  it("filters by channel", async () => {
    const [firm] = await seedTwoFirms();
    await twoEnquiries(firm.formKey, firm.firmId);
    const response = await callAs(firm.apiKey, firm.firmId, "/v1/opportunities/summary?channel=no-such-channel");
    const body = (await response.json()) as Summary;
    expect(body.stages.every((stage) => stage.count === 0)).toBe(true);
  });

  it("filters by service line", async () => {
    const [firm] = await seedTwoFirms();
    await twoEnquiries(firm.formKey, firm.firmId);
    const response = await callAs(firm.apiKey, firm.firmId, "/v1/opportunities/summary?serviceLine=family-law");
    const body = (await response.json()) as Summary;
    expect(body.stages.reduce((total, stage) => total + stage.count, 0)).toBe(2);
  });

  it("is not read as an opportunity id", async () => {
    const [firm] = await seedTwoFirms();
    const response = await callAs(firm.apiKey, firm.firmId, "/v1/opportunities/summary?owner=user_nobody");
    expect(response.status).toBe(200);
    expect(((await response.json()) as Summary).stages.length).toBeGreaterThan(5);
  });
});
