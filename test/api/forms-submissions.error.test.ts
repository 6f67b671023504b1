import { ENQUIRY_LIMITS } from "@plumbline/core";
import { describe, expect, it } from "vitest";
import { callApi, errorOf, submitJson } from "../support/api";
import { contactsOf, storedCounts } from "../support/rows";
import { seedTwoFirms } from "../support/seed";

const NOTHING_STORED = { contacts: 0, opportunities: 0, messages: 0, submissions: 0 };

describe("enquiry submission, rejected", () => {
  it("unknown form is not found", async () => {
    const response = await submitJson("no-such-form", { fields: { name: "A", email: "a@example.com" } });
    expect(response.status).toBe(404);
    const error = await errorOf(response);
    expect(error.code).toBe("not_found");
    expect(error.requestId).toBeTruthy();
  });

  it("missing required name names the field", async () => {
    const [firm] = await seedTwoFirms();
    const response = await submitJson(firm.formKey, { fields: { email: "a@example.com" } });
    expect(response.status).toBe(422);
    const error = await errorOf(response);
    expect(error.code).toBe("validation_failed");
    expect(error.field).toBe("name");
    expect(error.message).toBe("Full name is required.");
    expect(await storedCounts(firm.firmId)).toEqual(NOTHING_STORED);
  });

  it("whitespace-only name counts as missing", async () => {
    const [firm] = await seedTwoFirms();
    const response = await submitJson(firm.formKey, { fields: { name: " \u0007 ", email: "a@example.com" } });
    expect(response.status).toBe(422);
    expect((await errorOf(response)).field).toBe("name");
  });

  it("invalid email names the field", async () => {
    const [firm] = await seedTwoFirms();
    for (const email of ["not-an-email", "a@b", "a@@example.com", "a b@example.com", "a@exa mple.com", "a@[127.0.0.1]"]) {
      const response = await submitJson(firm.formKey, { fields: { name: "A", email } });
      expect(response.status, email).toBe(422);
      expect((await errorOf(response)).field, email).toBe("email");
    }
    expect(await storedCounts(firm.firmId)).toEqual(NOTHING_STORED);
  });

  it("needs an email or a phone", async () => {
    const [firm] = await seedTwoFirms();
    const response = await submitJson(firm.formKey, { fields: { name: "Nobody", message: "Call me?" } });
    expect(response.status).toBe(422);
    const error = await errorOf(response);
    expect(error.field).toBe("email");
    expect(error.message).toContain("email address or a phone number");
  });

  it("unreadable phone alone is rejected", async () => {
    const [firm] = await seedTwoFirms();
    const response = await submitJson(firm.formKey, { fields: { name: "Pat", phone: "12" } });
    expect(response.status).toBe(422);
    expect((await errorOf(response)).field).toBe("phone");
  });

  it("unreadable phone beside an email is kept", async () => {
    const [firm] = await seedTwoFirms();
    const response = await submitJson(firm.formKey, { fields: { name: "Pat", email: "pat@example.com", phone: "ask for ext 12" } });
    expect(response.status).toBe(201);
  });

  it("invalid JSON is a 400", async () => {
    const [firm] = await seedTwoFirms();
    const response = await callApi(`/v1/forms/${firm.formKey}/submissions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"fields": {"name": "A"',
    });
    expect(response.status).toBe(400);
    expect((await errorOf(response)).code).toBe("invalid_request");
  });

  it("JSON without fields names the field", async () => {
    const [firm] = await seedTwoFirms();
    const response = await submitJson(firm.formKey, { name: "A", email: "a@example.com" });
    expect(response.status).toBe(422);
    expect((await errorOf(response)).field).toBe("fields");
  });

  it("malformed submission id names the field", async () => {
    const [firm] = await seedTwoFirms();
    const response = await submitJson(firm.formKey, { submissionId: "has spaces in it", fields: { name: "A", email: "a@example.com" } });
    expect(response.status).toBe(422);
    expect((await errorOf(response)).field).toBe("submissionId");
  });

  it("unsupported content type is a 415", async () => {
    const [firm] = await seedTwoFirms();
    const response = await callApi(`/v1/forms/${firm.formKey}/submissions`, {
      method: "POST",
      headers: { "content-type": "application/xml" },
      body: "<enquiry/>",
    });
    expect(response.status).toBe(415);
    expect((await errorOf(response)).message).toContain("application/json");
  });

  it("invalid UTF-8 is a 400", async () => {
    const [firm] = await seedTwoFirms();
    const response = await callApi(`/v1/forms/${firm.formKey}/submissions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]),
    });
    expect(response.status).toBe(400);
  });

  it("malformed attribution in a form post names it", async () => {
    const [firm] = await seedTwoFirms();
    const response = await callApi(`/v1/forms/${firm.formKey}/submissions`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: new URLSearchParams({ name: "A", email: "a@example.com", _pl_attribution: "{not json" }),
    });
    expect(response.status).toBe(422);
    expect((await errorOf(response)).field).toBe("_pl_attribution");
  });

  it("plain form errors render a page", async () => {
    const [firm] = await seedTwoFirms();
    const response = await callApi(`/v1/forms/${firm.formKey}/submissions`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "text/html", referer: "https://www.firm.example/contact" },
      body: new URLSearchParams({ name: "A", email: "<script>@x" }),
    });
    expect(response.status).toBe(422);
    expect(response.headers.get("content-type")).toContain("text/html");
    const html = await response.text();
    expect(html).toContain("Enter a valid email address");
    expect(html).toContain('href="https://www.firm.example/contact"');
    expect(html).not.toContain("<script>");
  });
});

describe("enquiry submission, size caps", () => {
  it("body over the cap is 413 and stores nothing", async () => {
    const [firm] = await seedTwoFirms();
    const response = await submitJson(firm.formKey, {
      fields: { name: "Big", email: "big@example.com", message: "x".repeat(ENQUIRY_LIMITS.maxBodyBytes) },
    });
    expect(response.status).toBe(413);
    expect((await errorOf(response)).code).toBe("payload_too_large");
    expect(await storedCounts(firm.firmId)).toEqual(NOTHING_STORED);
  });

  it("streamed body over the cap is 413", async () => {
    const [firm] = await seedTwoFirms();
    const chunk = new TextEncoder().encode("a".repeat(16 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 6) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const response = await callApi(`/v1/forms/${firm.formKey}/submissions`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: stream,
      // @ts-expect-error: `duplex` is required by fetch for a streamed body but missing from the lib types.
      duplex: "half",
    });
    expect(response.status).toBe(413);
  });

  it("message over its cap names the field", async () => {
    const [firm] = await seedTwoFirms();
    const response = await submitJson(firm.formKey, {
      fields: { name: "Long", email: "long@example.com", message: "é".repeat(ENQUIRY_LIMITS.message + 1) },
    });
    expect(response.status).toBe(413);
    expect((await errorOf(response)).field).toBe("message");
    expect(await storedCounts(firm.firmId)).toEqual(NOTHING_STORED);
  });

  it("message at its cap counted in characters is accepted", async () => {
    const [firm] = await seedTwoFirms();
    const response = await submitJson(firm.formKey, {
      fields: { name: "Exact", email: "exact@example.com", message: "😀".repeat(ENQUIRY_LIMITS.message) },
    });
    expect(response.status).toBe(201);
  });

  it("name over its cap names the field", async () => {
    const [firm] = await seedTwoFirms();
    const response = await submitJson(firm.formKey, { fields: { name: "N".repeat(ENQUIRY_LIMITS.name + 1), email: "n@example.com" } });
    expect(response.status).toBe(413);
    expect((await errorOf(response)).field).toBe("name");
  });

  it("too many fields is 413", async () => {
    const [firm] = await seedTwoFirms();
    const fields: Record<string, string> = { name: "Many", email: "many@example.com" };
    for (let i = 0; i < ENQUIRY_LIMITS.maxFields; i++) fields[`extra${i}`] = "x";
    const response = await submitJson(firm.formKey, { fields });
    expect(response.status).toBe(413);
  });

  it("over-long UTM value is 413", async () => {
    const [firm] = await seedTwoFirms();
    const response = await submitJson(firm.formKey, {
      fields: { name: "Utm", email: "utm@example.com" },
      attribution: { firstTouch: { utm_campaign: "c".repeat(ENQUIRY_LIMITS.attributionValue + 1) } },
    });
    expect(response.status).toBe(413);
    expect((await errorOf(response)).field).toBe("attribution.firstTouch.utm_campaign");
  });
});

describe("enquiry submission, charsets", () => {
  it("urlencoded body in ISO-8859-1 is read correctly", async () => {
    const [firm] = await seedTwoFirms();
    const response = await callApi(`/v1/forms/${firm.formKey}/submissions`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded; charset=ISO-8859-1", accept: "application/json" },
      body: "name=Ren%E9e+Fran%E7ois&email=renee.latin1%40example.fr",
    });
    expect(response.status).toBe(201);
    const [contact] = await contactsOf(firm.firmId);
    expect(contact?.name).toBe("Renée François");
  });

  it("UTF-8 urlencoded body keeps accents", async () => {
    const [firm] = await seedTwoFirms();
    const response = await callApi(`/v1/forms/${firm.formKey}/submissions`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: new URLSearchParams({ name: "Zoë 山田", email: "zoe.utf8@example.com" }),
    });
    expect(response.status).toBe(201);
    const [contact] = await contactsOf(firm.firmId);
    expect(contact?.name).toBe("Zoë 山田");
  });

  it("unknown charset is a 415", async () => {
    const [firm] = await seedTwoFirms();
    const response = await callApi(`/v1/forms/${firm.formKey}/submissions`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded; charset=x-no-such-charset", accept: "application/json" },
      body: "name=A&email=a%40example.com",
    });
    expect(response.status).toBe(415);
  });
});
