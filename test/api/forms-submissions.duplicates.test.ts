import { describe, expect, it } from "vitest";
import { callApi, submitJson } from "../support/api";
import { contactsOf, opportunitiesOf, storedCounts, submissionsOf } from "../support/rows";
import { seedTwoFirms } from "../support/seed";

const referenceOf = async (response: Response) => ((await response.json()) as { reference: string }).reference;

describe("duplicate submissions", () => {
  it("same submission id twice is one enquiry", async () => {
    const [firm] = await seedTwoFirms();
    const body = { submissionId: "double-click-0001", fields: { name: "Double", email: "double@example.com" } };
    const first = await submitJson(firm.formKey, body);
    const second = await submitJson(firm.formKey, body);

    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(await referenceOf(second)).toBe(await referenceOf(first));
    expect(await storedCounts(firm.firmId)).toEqual({ contacts: 1, opportunities: 1, messages: 2, submissions: 1 });
  });

  it("beacon after fetch is one enquiry", async () => {
    const [firm] = await seedTwoFirms();
    const payload = JSON.stringify({ submissionId: "beacon-and-fetch-1", fields: { name: "Beacon", email: "bf@example.com" } });
    const fetched = await callApi(`/v1/forms/${firm.formKey}/submissions`, { method: "POST", headers: { "content-type": "application/json" }, body: payload });
    const beacon = await callApi(`/v1/forms/${firm.formKey}/submissions`, { method: "POST", headers: { "content-type": "text/plain" }, body: payload });
    expect(beacon.status).toBe(200);
    expect(await referenceOf(beacon)).toBe(await referenceOf(fetched));
    expect((await storedCounts(firm.firmId)).opportunities).toBe(1);
  });

  it("concurrent repeats of one id make one enquiry", async () => {
    const [firm] = await seedTwoFirms();
    const body = { submissionId: "concurrent-same-id", fields: { name: "Race", email: "race@example.com" } };
    const responses = await Promise.all(Array.from({ length: 5 }, () => submitJson(firm.formKey, body)));
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 201]);
    const references = new Set(await Promise.all(responses.map(referenceOf)));
    expect(references.size).toBe(1);
    expect(await storedCounts(firm.firmId)).toEqual({ contacts: 1, opportunities: 1, messages: 2, submissions: 1 });
  });

  it("repeat without an id within the window is one enquiry", async () => {
    const [firm] = await seedTwoFirms();
    const form = new URLSearchParams({ name: "No Script", email: "noscript@example.com", message: "Same again" });
    const send = () =>
      callApi(`/v1/forms/${firm.formKey}/submissions`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: form,
      });
    const first = await send();
    const second = await send();
    expect(second.status).toBe(200);
    expect(await referenceOf(second)).toBe(await referenceOf(first));
    expect((await storedCounts(firm.firmId)).opportunities).toBe(1);
  });

  it("a different message without an id is a new enquiry", async () => {
    const [firm] = await seedTwoFirms();
    await submitJson(firm.formKey, { fields: { name: "Two Asks", email: "two@example.com", message: "Wills" } });
    await submitJson(firm.formKey, { fields: { name: "Two Asks", email: "two@example.com", message: "Probate" } });
    expect(await contactsOf(firm.firmId)).toHaveLength(1);
    expect(await opportunitiesOf(firm.firmId)).toHaveLength(2);
  });

  it("concurrent enquiries for one new email make one contact", async () => {
    const [firm] = await seedTwoFirms();
    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        submitJson(firm.formKey, { submissionId: `same-email-${i}-x`, fields: { name: "Same Person", email: i % 2 ? "SAME@Example.COM" : "same@example.com" } }),
      ),
    );
    expect(responses.every((response) => response.status === 201)).toBe(true);
    expect(await contactsOf(firm.firmId)).toHaveLength(1);
    const opportunities = await opportunitiesOf(firm.firmId);
    expect(opportunities).toHaveLength(8);
    expect(new Set(opportunities.map((opportunity) => opportunity.contactId)).size).toBe(1);
  });

  it("repeat of a quarantined submission keeps its reference", async () => {
    const [firm] = await seedTwoFirms();
    const body = { submissionId: "spam-repeat-0001", fields: { name: "Bot", email: "bot@example.com", website: "x" } };
    const first = await submitJson(firm.formKey, body);
    const second = await submitJson(firm.formKey, body);
    expect(second.status).toBe(200);
    expect(await referenceOf(second)).toBe(await referenceOf(first));
    expect(await submissionsOf(firm.firmId)).toHaveLength(1);
  });
});
