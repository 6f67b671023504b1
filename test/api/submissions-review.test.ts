import { describe, expect, it } from "vitest";
import { callApi, errorOf, getWithKey, submitJson } from "../support/api";
import { messagesOf, storedCounts, submissionsOf } from "../support/rows";
import { seedTwoFirms } from "../support/seed";

type SubmissionView = { id: string; reference: string; status: string; quarantineReason: string | null };

function release(id: string, apiKey: string) {
  return callApi(`/v1/submissions/${id}/release`, { method: "POST", headers: { authorization: `Bearer ${apiKey}` } });
}

async function quarantineOne(formKey: string) {
  const response = await submitJson(formKey, {
    submissionId: "held-back-0001",
    fields: { name: "Real Person", email: "real@example.com", website: "autofilled by a password manager" },
    attribution: { firstTouch: { utm_source: "google", utm_medium: "cpc" } },
  });
  return ((await response.json()) as { reference: string }).reference;
}

describe("submission review", () => {
  it("lists quarantined submissions", async () => {
    const [firm] = await seedTwoFirms();
    const reference = await quarantineOne(firm.formKey);
    const response = await getWithKey("/v1/submissions", firm.apiKey);
    expect(response.status).toBe(200);
    const { data } = (await response.json()) as { data: SubmissionView[] };
    expect(data).toHaveLength(1);
    expect(data[0]?.reference).toBe(reference);
    expect(data[0]?.quarantineReason).toBe("honeypot");
  });

  it("another firm sees none of them", async () => {
    const [firm, other] = await seedTwoFirms();
    await quarantineOne(firm.formKey);
    const { data } = (await (await getWithKey("/v1/submissions", other.apiKey)).json()) as { data: SubmissionView[] };
    expect(data).toHaveLength(0);
  });

  it("release creates the enquiry and its follow-ups", async () => {
    const [firm] = await seedTwoFirms();
    const reference = await quarantineOne(firm.formKey);
    const [held] = await submissionsOf(firm.firmId);

    const response = await release(held!.id, firm.apiKey);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { reference: string; opportunityId: string };
    expect(body.reference).toBe(reference);

    expect(await storedCounts(firm.firmId)).toEqual({ contacts: 1, opportunities: 1, messages: 2, submissions: 1 });
    const [submission] = await submissionsOf(firm.firmId);
    expect(submission?.status).toBe("released");
    expect(submission?.opportunityId).toBe(body.opportunityId);
    expect((await messagesOf(firm.firmId)).every((message) => message.queuedAt instanceof Date)).toBe(true);

    const detail = (await (await getWithKey(`/v1/opportunities/${body.opportunityId}`, firm.apiKey)).json()) as {
      channel: string;
      reference: string;
      timeline: Array<{ data: Record<string, unknown> }>;
    };
    expect(detail.reference).toBe(reference);
    expect(detail.channel).toBe("paid_search");
    expect(detail.timeline[0]?.data.releasedFromQuarantine).toBe("honeypot");
  });

  it("second release is a conflict", async () => {
    const [firm] = await seedTwoFirms();
    await quarantineOne(firm.formKey);
    const [held] = await submissionsOf(firm.firmId);
    await release(held!.id, firm.apiKey);
    const again = await release(held!.id, firm.apiKey);
    expect(again.status).toBe(409);
    expect((await errorOf(again)).code).toBe("conflict");
    expect((await storedCounts(firm.firmId)).opportunities).toBe(1);
  });

  it("concurrent releases create one opportunity", async () => {
    const [firm] = await seedTwoFirms();
    await quarantineOne(firm.formKey);
    const [held] = await submissionsOf(firm.firmId);
    const statuses = (await Promise.all([release(held!.id, firm.apiKey), release(held!.id, firm.apiKey)])).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409]);
    expect((await storedCounts(firm.firmId)).opportunities).toBe(1);
  });

  it("another firm's submission is not found", async () => {
    const [firm, other] = await seedTwoFirms();
    await quarantineOne(firm.formKey);
    const [held] = await submissionsOf(firm.firmId);
    const response = await release(held!.id, other.apiKey);
    expect(response.status).toBe(404);
    expect((await submissionsOf(firm.firmId))[0]?.status).toBe("quarantined");
  });

  it("bad status filter names the parameter", async () => {
    const [firm] = await seedTwoFirms();
    const response = await getWithKey("/v1/submissions?status=spam", firm.apiKey);
    expect(response.status).toBe(400);
    expect((await errorOf(response)).field).toBe("status");
  });
});
