import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { encryptSecret } from "../../apps/api/src/lib/crypto";
import { callApi, errorOf, submitJson } from "../support/api";
import { storedCounts, submissionsOf } from "../support/rows";
import { seedFirm, seedTwoFirms } from "../support/seed";

const PASSING_SECRET = "1x0000000000000000000000000000000AA";
const FAILING_SECRET = "2x0000000000000000000000000000000AA";
const SPENT_SECRET = "3x0000000000000000000000000000000AA";
const OUTAGE_SECRET = "5x0000000000000000000000000000000AA";

const encrypted = (secret: string) => encryptSecret(env.ENCRYPTION_KEY, secret);

describe("form CORS", () => {
  it("preflight from an allowed origin is answered", async () => {
    const [firm] = await seedTwoFirms();
    const response = await callApi(`/v1/forms/${firm.formKey}/submissions`, {
      method: "OPTIONS",
      headers: { origin: "https://www.firm.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("https://www.firm.example");
    expect(response.headers.get("access-control-allow-methods")).toContain("POST");
    expect(response.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("content-type");
    expect(response.headers.get("vary")).toContain("Origin");
  });

  it("allowed origin is echoed exactly", async () => {
    const [firm] = await seedTwoFirms();
    const response = await submitJson(firm.formKey, { fields: { name: "Cors", email: "cors@example.com" } }, { origin: "http://localhost:5173" });
    expect(response.status).toBe(201);
    expect(response.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
    expect(response.headers.get("vary")).toContain("Origin");
  });

  it("error answers carry CORS headers for the snippet", async () => {
    const [firm] = await seedTwoFirms();
    const response = await submitJson(firm.formKey, { fields: { email: "nobody@example.com" } });
    expect(response.status).toBe(422);
    expect(response.headers.get("access-control-allow-origin")).toBe("https://www.firm.example");
  });

  it("other origins get no CORS headers and nothing is stored", async () => {
    const [firm] = await seedTwoFirms();
    for (const origin of ["https://evil.example", "https://firm.example", "http://www.firm.example", "null", "https://www.firm.example.evil.example"]) {
      const response = await submitJson(firm.formKey, { fields: { name: "X", email: "x@example.com" } }, { origin });
      expect(response.status, origin).toBe(403);
      expect(response.headers.get("access-control-allow-origin"), origin).toBeNull();
      expect(response.headers.get("vary"), origin).toContain("Origin");
    }
    expect((await storedCounts(firm.firmId)).submissions).toBe(0);
  });

  it("preflight from another origin gets no CORS headers", async () => {
    const [firm] = await seedTwoFirms();
    const response = await callApi(`/v1/forms/${firm.formKey}/submissions`, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(response.status).toBe(403);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("subdomain wildcard origin is allowed", async () => {
    const firm = await seedFirm("Wildcard", { allowedOrigins: ["https://*.firm.example"] });
    const response = await submitJson(firm.formKey, { fields: { name: "W", email: "w@example.com" } }, { origin: "https://blog.firm.example" });
    expect(response.status).toBe(201);
    expect(response.headers.get("access-control-allow-origin")).toBe("https://blog.firm.example");
  });

  it("form settings are served with CORS", async () => {
    const [firm] = await seedTwoFirms();
    const response = await callApi(`/v1/forms/${firm.formKey}`, { headers: { origin: "https://www.firm.example" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe("https://www.firm.example");
    const settings = (await response.json()) as { fields: unknown[]; honeypotField: string; submitUrl: string };
    expect(settings.fields).toHaveLength(5);
    expect(settings.honeypotField).toBe("website");
    expect(settings.submitUrl).toContain(`/v1/forms/${firm.formKey}/submissions`);
    expect(JSON.stringify(settings)).not.toContain("firm_");
  });
});

describe("spam handling", () => {
  it("honeypot submission looks accepted but is quarantined", async () => {
    const [firm] = await seedTwoFirms();
    const response = await submitJson(firm.formKey, { fields: { name: "Bot", email: "bot@example.com", website: "http://spam.example" } });
    expect(response.status).toBe(201);
    const body = (await response.json()) as { status: string; reference: string };
    expect(body.status).toBe("received");
    expect(body.reference).toMatch(/^ENQ-/);

    expect(await storedCounts(firm.firmId)).toEqual({ contacts: 0, opportunities: 0, messages: 0, submissions: 1 });
    const [submission] = await submissionsOf(firm.firmId);
    expect(submission?.status).toBe("quarantined");
    expect(submission?.quarantineReason).toBe("honeypot");
  });

  it("Turnstile pass creates the enquiry", async () => {
    const firm = await seedFirm("Turnstile Pass", { turnstileSecretEncrypted: await encrypted(PASSING_SECRET) });
    const response = await submitJson(firm.formKey, { turnstileToken: "XXXX.DUMMY.TOKEN.XXXX", fields: { name: "Human", email: "human@example.com" } });
    expect(response.status).toBe(201);
    expect((await storedCounts(firm.firmId)).opportunities).toBe(1);
  });

  it("Turnstile settings expose the site key", async () => {
    const firm = await seedFirm("Turnstile Key", { turnstileSecretEncrypted: await encrypted(PASSING_SECRET) });
    const settings = (await (await callApi(`/v1/forms/${firm.formKey}`)).json()) as { turnstileSiteKey: string | null };
    expect(settings.turnstileSiteKey).toBe("1x00000000000000000000AA");
  });

  const quarantined: Array<[string, string, string | undefined, string]> = [
    ["failed token", FAILING_SECRET, "XXXX.DUMMY.TOKEN.XXXX", "turnstile_failed"],
    ["spent token", SPENT_SECRET, "XXXX.DUMMY.TOKEN.XXXX", "turnstile_failed"],
    ["missing token", PASSING_SECRET, undefined, "turnstile_failed"],
    ["siteverify outage", OUTAGE_SECRET, "XXXX.DUMMY.TOKEN.XXXX", "turnstile_unavailable"],
  ];
  for (const [name, secret, token, reason] of quarantined) {
    it(`Turnstile ${name} is quarantined`, async () => {
      const firm = await seedFirm(`Turnstile ${name}`, { turnstileSecretEncrypted: await encrypted(secret) });
      const response = await submitJson(firm.formKey, { turnstileToken: token, fields: { name: "Maybe", email: "maybe@example.com" } });
      expect(response.status).toBe(201);
      expect(await storedCounts(firm.firmId)).toEqual({ contacts: 0, opportunities: 0, messages: 0, submissions: 1 });
      const [submission] = await submissionsOf(firm.firmId);
      expect(submission?.quarantineReason).toBe(reason);
    });
  }

  it("Turnstile secret is stored encrypted", async () => {
    const value = await encrypted(PASSING_SECRET);
    expect(value).not.toContain(PASSING_SECRET);
    expect(value.startsWith("v1.")).toBe(true);
  });

  it("client over its hourly limit is quarantined", async () => {
    const firm = await seedFirm("Client Limit", { clientRateLimitPerHour: 2 });
    const statuses: string[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await submitJson(firm.formKey, { submissionId: `client-limit-${i}`, fields: { name: `P${i}`, email: `p${i}@example.com` } }, { "cf-connecting-ip": "203.0.113.9" });
      statuses.push(String(response.status));
    }
    expect(statuses).toEqual(["201", "201", "201", "201"]);
    expect((await storedCounts(firm.firmId)).opportunities).toBe(2);
    const reasons = (await submissionsOf(firm.firmId)).map((submission) => submission.quarantineReason).filter(Boolean);
    expect(reasons).toEqual(["client_rate_limit", "client_rate_limit"]);
  });

  it("limit is per client address", async () => {
    const firm = await seedFirm("Client Limit Split", { clientRateLimitPerHour: 1 });
    await submitJson(firm.formKey, { submissionId: "split-limit-a", fields: { name: "A", email: "a@example.com" } }, { "cf-connecting-ip": "203.0.113.1" });
    await submitJson(firm.formKey, { submissionId: "split-limit-b", fields: { name: "B", email: "b@example.com" } }, { "cf-connecting-ip": "203.0.113.2" });
    expect((await storedCounts(firm.firmId)).opportunities).toBe(2);
  });

  it("form over its hourly limit is quarantined", async () => {
    const firm = await seedFirm("Form Limit", { formRateLimitPerHour: 1 });
    await submitJson(firm.formKey, { submissionId: "form-limit-a", fields: { name: "A", email: "a@example.com" } }, { "cf-connecting-ip": "203.0.113.1" });
    await submitJson(firm.formKey, { submissionId: "form-limit-b", fields: { name: "B", email: "b@example.com" } }, { "cf-connecting-ip": "203.0.113.2" });
    const reasons = (await submissionsOf(firm.firmId)).map((submission) => submission.quarantineReason);
    expect(reasons).toContain("form_rate_limit");
    expect((await storedCounts(firm.firmId)).opportunities).toBe(1);
  });

  it("client address is stored only as a hash", async () => {
    const firm = await seedFirm("Hash Only");
    await submitJson(firm.formKey, { fields: { name: "H", email: "h@example.com" } }, { "cf-connecting-ip": "198.51.100.77" });
    const [submission] = await submissionsOf(firm.firmId);
    expect(JSON.stringify(submission)).not.toContain("198.51.100.77");
    expect(submission?.clientHash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("errors everywhere", () => {
  it("unknown route uses the envelope", async () => {
    const response = await callApi("/v2/nothing");
    expect(response.status).toBe(404);
    const error = await errorOf(response);
    expect(error.code).toBe("not_found");
    expect(response.headers.get("x-request-id")).toBe(error.requestId);
  });
});
