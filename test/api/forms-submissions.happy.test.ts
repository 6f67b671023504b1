import { describe, expect, it } from "vitest";
import { callApi, getWithKey, submitJson } from "../support/api";
import { contactsOf, messagesOf, opportunitiesOf, storedCounts } from "../support/rows";
import { seedFirm, seedTwoFirms } from "../support/seed";

type Opportunity = { id: string; reference: string; stage: string; serviceLine: string; channel: string; lastTouchChannel: string; contactId: string };

async function opportunitiesVia(apiKey: string): Promise<Opportunity[]> {
  const response = await getWithKey("/v1/opportunities", apiKey);
  return ((await response.json()) as { data: Opportunity[] }).data;
}

describe("enquiry submission, accepted", () => {
  it("JSON creates contact and opportunity", async () => {
    const [firm, other] = await seedTwoFirms();
    const response = await submitJson(firm.formKey, {
      submissionId: "sub-happy-0001",
      fields: { name: "Siobhán O'Connor", email: "siobhan@example.ie", service: "family", message: "Divorce advice please" },
      attribution: { firstTouch: { utm_source: "google", utm_medium: "cpc", gclid: "abc", landingPage: "https://www.firm.example/family?gclid=abc" } },
    });

    expect(response.status).toBe(201);
    const body = (await response.json()) as { reference: string; status: string };
    expect(body.status).toBe("received");
    expect(body.reference).toMatch(/^ENQ-[0-9A-Z]{4}-[0-9A-Z]{4}$/);

    const [opportunity] = await opportunitiesVia(firm.apiKey);
    expect(opportunity?.reference).toBe(body.reference);
    expect(opportunity?.stage).toBe("new");
    expect(opportunity?.serviceLine).toBe("family-law");
    expect(opportunity?.channel).toBe("paid_search");
    expect(await storedCounts(other.firmId)).toEqual({ contacts: 0, opportunities: 0, messages: 0, submissions: 0 });
  });

  it("keeps names exactly as typed", async () => {
    const [firm] = await seedTwoFirms();
    const names = ["Zoë D’Arcy-Ó Briain", "山田 太郎", "Nguyễn Thị Minh Khai", "محمد‌رضا"];
    for (const [index, name] of names.entries()) {
      const response = await submitJson(firm.formKey, { submissionId: `names-${index}-abcdef`, fields: { name, email: `n${index}@example.com` } });
      expect(response.status).toBe(201);
    }
    const stored = (await contactsOf(firm.firmId)).map((contact) => contact.name).sort();
    expect(stored).toEqual([...names].sort());
  });

  it("normalises a decomposed name to NFC", async () => {
    const [firm] = await seedTwoFirms();
    await submitJson(firm.formKey, { fields: { name: "Rene\u0301e", email: "renee@example.fr" } });
    const [contact] = await contactsOf(firm.firmId);
    expect(contact?.name).toBe("Ren\u00e9e");
  });

  it("matches one contact however the domain is written", async () => {
    const [firm] = await seedTwoFirms();
    const spellings = ["jo@bücher.example", "Jo@BÜCHER.example", "jo@xn--bcher-kva.example", "jo@ｂüｃｈｅｒ.example", "\u200Bjo@bücher.example."];
    for (const [index, email] of spellings.entries()) {
      const response = await submitJson(firm.formKey, { submissionId: `idn-spelling-${index}`, fields: { name: "Jo Bauer", email } });
      expect(response.status).toBe(201);
    }
    const contacts = await contactsOf(firm.firmId);
    expect(contacts).toHaveLength(1);
    expect(contacts[0]?.emailNormalised).toBe("jo@xn--bcher-kva.example");
    expect(await opportunitiesOf(firm.firmId)).toHaveLength(spellings.length);
  });

  it("accepts plus tags as their own address", async () => {
    const [firm] = await seedTwoFirms();
    const response = await submitJson(firm.formKey, { fields: { name: "Ann", email: "ann+solicitors@example.co.uk" } });
    expect(response.status).toBe(201);
    const [contact] = await contactsOf(firm.firmId);
    expect(contact?.email).toBe("ann+solicitors@example.co.uk");
  });

  it("never stores invisible characters in an address", async () => {
    const [firm] = await seedTwoFirms();
    await submitJson(firm.formKey, { fields: { name: "Bo", email: "b\u200Do\u00AD@exa\u202Emple.com\uFEFF" } });
    const [contact] = await contactsOf(firm.firmId);
    expect(contact?.email).toBe("bo@example.com");
    expect(contact?.emailNormalised).toBe("bo@example.com");
  });

  it("phone-only enquiry is a real enquiry", async () => {
    const [firm] = await seedTwoFirms();
    const response = await submitJson(firm.formKey, { fields: { name: "Pat Jones", phone: "020 7946 0000" } });
    expect(response.status).toBe(201);

    const [contact] = await contactsOf(firm.firmId);
    expect(contact?.phone).toBe("020 7946 0000");
    expect(contact?.phoneE164).toBe("+442079460000");
    expect(contact?.email).toBeNull();

    const acknowledgement = (await messagesOf(firm.firmId)).find((message) => message.kind === "acknowledgement_email");
    expect(acknowledgement?.status).toBe("skipped");
    expect(acknowledgement?.statusReason).toBe("no address");
  });

  it("phone-only enquiries share a contact by number", async () => {
    const [firm] = await seedTwoFirms();
    await submitJson(firm.formKey, { submissionId: "phone-share-1", fields: { name: "Pat", phone: "07911 123123" } });
    await submitJson(firm.formKey, { submissionId: "phone-share-2", fields: { name: "Pat", phone: "+44 7911 123123" } });
    expect(await contactsOf(firm.firmId)).toHaveLength(1);
    expect(await opportunitiesOf(firm.firmId)).toHaveLength(2);
  });

  it("writes owed follow-ups and queues them", async () => {
    const [firm] = await seedTwoFirms();
    await submitJson(firm.formKey, { fields: { name: "Queue Test", email: "queue@example.com" } });
    const messages = await messagesOf(firm.firmId);
    expect(messages.map((message) => message.kind).sort()).toEqual(["acknowledgement_email", "partner_alert"]);
    for (const message of messages) {
      expect(message.status).toBe("pending");
      expect(message.queuedAt).toBeInstanceOf(Date);
    }
  });

  it("fills blanks on an existing contact without overwriting", async () => {
    const [firm] = await seedTwoFirms();
    await submitJson(firm.formKey, { submissionId: "fill-blank-1", fields: { name: "Sam Lee", email: "sam@example.com" } });
    await submitJson(firm.formKey, { submissionId: "fill-blank-2", fields: { name: "Samuel Lee", email: "SAM@example.com", phone: "07911 123456" } });
    const [contact] = await contactsOf(firm.firmId);
    expect(contact?.name).toBe("Sam Lee");
    expect(contact?.phoneE164).toBe("+447911123456");
  });

  it("reads common field names of other form builders", async () => {
    const [firm] = await seedTwoFirms();
    const response = await submitJson(firm.formKey, {
      fields: { name: "Ignored Required", "your-email": "cf7@example.com", "first_name": "Ada", "Last Name": "Lovelace", "your-message": "Hello" },
    });
    expect(response.status).toBe(201);
    const [contact] = await contactsOf(firm.firmId);
    expect(contact?.email).toBe("cf7@example.com");
  });
});

describe("enquiry submission, encodings", () => {
  it("urlencoded form post redirects 303 to hosted thanks", async () => {
    const [firm] = await seedTwoFirms();
    const response = await callApi(`/v1/forms/${firm.formKey}/submissions`, {
      method: "POST",
      redirect: "manual",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        accept: "text/html,application/xhtml+xml",
        origin: "https://www.firm.example",
        referer: "https://www.firm.example/contact?utm_source=newsletter&utm_medium=email",
      },
      body: new URLSearchParams({ name: "Plain Form", email: "plain@example.com", message: "No JavaScript here" }),
    });

    expect(response.status).toBe(303);
    const location = new URL(response.headers.get("location")!);
    expect(location.pathname).toBe(`/v1/forms/${firm.formKey}/thanks`);
    expect(location.searchParams.get("reference")).toMatch(/^ENQ-/);

    const [opportunity] = await opportunitiesOf(firm.firmId);
    expect(opportunity?.channel).toBe("email");
  });

  it("hosted thanks page shows the reference", async () => {
    const [firm] = await seedTwoFirms();
    const response = await callApi(`/v1/forms/${firm.formKey}/thanks?reference=ENQ-ABCD-1234`);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain("Hartley &amp; Moss");
    expect(html).toContain("ENQ-ABCD-1234");
    expect(html).toContain('lang="en-GB"');
  });

  it("multipart post redirects 303 to the firm's page", async () => {
    const [firm] = await seedTwoFirms({ thankYouUrl: "https://www.firm.example/thank-you" });
    const form = new FormData();
    form.set("name", "Multi Part");
    form.set("email", "multi@example.com");
    form.set("_pl_submission_id", "multipart-0001");
    form.set("_pl_attribution", JSON.stringify({ firstTouch: { referrer: "https://www.linkedin.com/" } }));
    form.set("attachment", new File(["%PDF"], "cv.pdf", { type: "application/pdf" }));

    const response = await callApi(`/v1/forms/${firm.formKey}/submissions`, { method: "POST", redirect: "manual", body: form });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("https://www.firm.example/thank-you");

    const [opportunity] = await opportunitiesOf(firm.firmId);
    expect(opportunity?.channel).toBe("organic_social");
  });

  it("form post from fetch asking for JSON gets JSON", async () => {
    const [firm] = await seedTwoFirms();
    const response = await callApi(`/v1/forms/${firm.formKey}/submissions`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: new URLSearchParams({ name: "Fetch Form", email: "fetchform@example.com" }),
    });
    expect(response.status).toBe(201);
    expect(((await response.json()) as { status: string }).status).toBe("received");
  });

  it("text/plain beacon body is read as JSON", async () => {
    const [firm] = await seedTwoFirms();
    const response = await callApi(`/v1/forms/${firm.formKey}/submissions`, {
      method: "POST",
      headers: { "content-type": "text/plain;charset=UTF-8", origin: "http://localhost:4321" },
      body: JSON.stringify({ submissionId: "beacon-000001", fields: { name: "Beacon", email: "beacon@example.com" } }),
    });
    expect(response.status).toBe(201);
    expect(response.headers.get("access-control-allow-origin")).toBe("http://localhost:4321");
  });

  it("repeated checkbox fields are joined", async () => {
    const [firm] = await seedTwoFirms();
    const body = new URLSearchParams([
      ["name", "Check Box"],
      ["email", "boxes@example.com"],
      ["interests", "wills"],
      ["interests", "probate"],
    ]);
    await callApi(`/v1/forms/${firm.formKey}/submissions`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body,
    });
    const [opportunity] = await opportunitiesOf(firm.firmId);
    const detail = (await (await getWithKey(`/v1/opportunities/${opportunity!.id}`, firm.apiKey)).json()) as {
      timeline: Array<{ type: string; data: { answers: Record<string, string> } }>;
    };
    expect(detail.timeline[0]?.type).toBe("enquiry.received");
    expect(detail.timeline[0]?.data.answers.interests).toBe("wills, probate");
  });
});

describe("enquiry submission, attribution", () => {
  it("records first and last touch channels", async () => {
    const [firm] = await seedTwoFirms();
    await submitJson(firm.formKey, {
      fields: { name: "Touch Test", email: "touch@example.com" },
      attribution: {
        firstTouch: { referrer: "https://www.google.co.uk/", landingPage: "https://www.firm.example/" },
        lastTouch: { utm_source: "newsletter", utm_medium: "email", utm_campaign: "spring", landingPage: "https://www.firm.example/wills" },
      },
    });
    const [opportunity] = await opportunitiesOf(firm.firmId);
    expect(opportunity?.channel).toBe("organic_search");
    expect(opportunity?.lastTouchChannel).toBe("email");
    expect(opportunity?.landingPage).toBe("https://www.firm.example/");
    expect(opportunity?.attribution.lastTouch?.utm_campaign).toBe("spring");
  });

  it("firm's own site is never the source", async () => {
    const [firm] = await seedTwoFirms();
    await submitJson(firm.formKey, {
      fields: { name: "Self Ref", email: "self@example.com" },
      attribution: { firstTouch: { referrer: "https://www.firm.example/about", landingPage: "https://www.firm.example/contact" } },
    });
    const [opportunity] = await opportunitiesOf(firm.firmId);
    expect(opportunity?.channel).toBe("direct");
  });

  it("no attribution at all is direct", async () => {
    const firm = await seedFirm("Direct Only");
    await submitJson(firm.formKey, { fields: { name: "No Touch", email: "direct@example.com" } });
    const [opportunity] = await opportunitiesOf(firm.firmId);
    expect(opportunity?.channel).toBe("direct");
  });
});

describe("enquiry submission, one person", () => {
  it("phone-only contact gains the email later", async () => {
    const [firm] = await seedTwoFirms();
    await submitJson(firm.formKey, { submissionId: "merge-phone-1", fields: { name: "Pat Caller", phone: "07911 123777" } });
    await submitJson(firm.formKey, { submissionId: "merge-phone-2", fields: { name: "Pat Caller", phone: "+44 7911 123777", email: "pat.caller@example.com" } });

    const contacts = await contactsOf(firm.firmId);
    expect(contacts).toHaveLength(1);
    expect(contacts[0]?.emailNormalised).toBe("pat.caller@example.com");
    expect(await opportunitiesOf(firm.firmId)).toHaveLength(2);
  });

  it("existing email contact is not merged twice", async () => {
    const [firm] = await seedTwoFirms();
    await submitJson(firm.formKey, { submissionId: "merge-both-1", fields: { name: "Sam Email", email: "sam.both@example.com" } });
    await submitJson(firm.formKey, { submissionId: "merge-both-2", fields: { name: "Sam Phone", phone: "07911 123888" } });
    await submitJson(firm.formKey, { submissionId: "merge-both-3", fields: { name: "Sam Both", phone: "07911 123888", email: "sam.both@example.com" } });

    const contacts = await contactsOf(firm.firmId);
    expect(contacts).toHaveLength(2);
    expect(contacts.filter((contact) => contact.emailNormalised === "sam.both@example.com")).toHaveLength(1);
  });
});

describe("API documentation", () => {
  it("is served at /docs", async () => {
    const response = await callApi("/docs");
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("POST /v1/forms/{formKey}/submissions");
  });
});
