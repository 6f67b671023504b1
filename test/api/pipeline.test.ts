import { activities, firms, meetings, opportunities } from "@plumbline/db";
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import worker from "../../apps/api/src/index";
import { callApi, errorOf, submitJson, testEnv } from "../support/api";
import { settledMessages } from "../support/follow-up";
import { opportunitiesOf } from "../support/rows";
import { seedTwoFirms, testDatabase, type SeededFirm } from "../support/seed";

const DAY_MS = 86_400_000;

async function runCron(at: Date) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: at, cron: "* * * * *" }), testEnv(), ctx);
  await waitOnExecutionContext(ctx);
}

async function timelineOf(firmId: string, opportunityId: string) {
  return testDatabase()
    .select()
    .from(activities)
    .where(and(eq(activities.firmId, firmId), eq(activities.opportunityId, opportunityId)));
}

function setStage(apiKey: string, id: string, body: unknown) {
  return callApi(`/v1/opportunities/${id}/stage`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function oneOpportunity(formKey: string, firmId: string, label: string) {
  await submitJson(formKey, { submissionId: `pipe-${label}-${crypto.randomUUID().slice(0, 6)}`, fields: { name: `Pipeline ${label}`, email: `${label}@example.com` } });
  await settledMessages(firmId);
  const [opportunity] = await opportunitiesOf(firmId);
  return opportunity!;
}

describe("stage automation", () => {
  it("acknowledgement moves new to acknowledged", async () => {
    const [firm] = await seedTwoFirms();
    const opportunity = await oneOpportunity(firm.formKey, firm.firmId, "ack");
    expect(opportunity.stage).toBe("acknowledged");

    const moves = (await timelineOf(firm.firmId, opportunity.id)).filter((entry) => entry.type === "stage.changed");
    expect(moves).toHaveLength(1);
    expect(moves[0]?.data).toMatchObject({ from: "new", to: "acknowledged", event: "acknowledgement_sent", source: "local" });
    expect(moves[0]?.cause).toBe("automation");
  });

  it("override needs a reason and is on the timeline", async () => {
    const [firm] = await seedTwoFirms();
    const opportunity = await oneOpportunity(firm.formKey, firm.firmId, "override");

    const missing = await setStage(firm.apiKey, opportunity.id, { stage: "proposal_sent" });
    expect(missing.status).toBe(422);
    expect((await errorOf(missing)).field).toBe("reason");

    const response = await setStage(firm.apiKey, opportunity.id, { stage: "proposal_sent", reason: "Engagement letter sent from the PMS" });
    expect(response.status).toBe(200);
    const [after] = await opportunitiesOf(firm.firmId);
    expect(after?.stage).toBe("proposal_sent");
    expect(after?.stageOverride?.stage).toBe("proposal_sent");
    const move = (await timelineOf(firm.firmId, opportunity.id)).find((entry) => entry.type === "stage.changed" && entry.cause === "user");
    expect(move?.data).toMatchObject({ to: "proposal_sent", reason: "Engagement letter sent from the PMS" });
  });

  it("unknown stage is rejected", async () => {
    const [firm] = await seedTwoFirms();
    const opportunity = await oneOpportunity(firm.formKey, firm.firmId, "badstage");
    const response = await setStage(firm.apiKey, opportunity.id, { stage: "closed", reason: "x" });
    expect(response.status).toBe(422);
    expect((await errorOf(response)).field).toBe("stage");
  });

  it("another firm's opportunity is not found", async () => {
    const [firm, other] = await seedTwoFirms();
    const opportunity = await oneOpportunity(firm.formKey, firm.firmId, "foreign");
    const response = await setStage(other.apiKey, opportunity.id, { stage: "won", reason: "not mine" });
    expect(response.status).toBe(404);
    const [after] = await opportunitiesOf(firm.firmId);
    expect(after?.stage).toBe("acknowledged");
  });

  it("revive of an open opportunity is a conflict", async () => {
    const [firm] = await seedTwoFirms();
    const opportunity = await oneOpportunity(firm.formKey, firm.firmId, "revive-open");
    const response = await callApi(`/v1/opportunities/${opportunity.id}/revive`, { method: "POST", headers: { authorization: `Bearer ${firm.apiKey}` } });
    expect(response.status).toBe(409);
  });
});

describe("stall detection", () => {
  async function age(opportunityId: string, values: Partial<typeof opportunities.$inferInsert>) {
    await testDatabase().update(opportunities).set(values).where(eq(opportunities.id, opportunityId));
  }

  it("quiet opportunity is flagged stalled once", async () => {
    const [firm] = await seedTwoFirms();
    const opportunity = await oneOpportunity(firm.formKey, firm.firmId, "stall");
    const past = new Date(Date.now() - 5 * DAY_MS);
    await age(opportunity.id, { stageEnteredAt: past, lastActivityAt: past, lastProspectActivityAt: past, nextStallCheckAt: new Date(Date.now() - 1000) });

    const now = new Date();
    await Promise.all([runCron(now), runCron(now)]);
    await runCron(new Date(now.getTime() + 1000));

    const [after] = await opportunitiesOf(firm.firmId);
    expect(after?.stalledAt).toBeInstanceOf(Date);
    expect(after?.stalledReason).toBe("5 days in Acknowledged without a reply from the firm (limit 3 days)");
    expect(after?.nextStallCheckAt!.getTime()).toBeGreaterThan(now.getTime());
    const flags = (await timelineOf(firm.firmId, opportunity.id)).filter((entry) => entry.type === "opportunity.stalled");
    expect(flags).toHaveLength(1);
  });

  /** Puts an opportunity in `stage`, quiet since `quietDays` ago, with a booked meeting that started `meetingDaysAgo` ago. */
  async function quietWithPastMeeting(firm: SeededFirm, label: string, stage: string, quietDays: number, meetingDaysAgo: number) {
    const opportunity = await oneOpportunity(firm.formKey, firm.firmId, label);
    expect((await setStage(firm.apiKey, opportunity.id, { stage, reason: "Set for the test" })).status).toBe(200);
    const quietSince = new Date(Date.now() - quietDays * DAY_MS);
    await age(opportunity.id, { stageEnteredAt: quietSince, lastActivityAt: quietSince, lastProspectActivityAt: quietSince, nextStallCheckAt: new Date(Date.now() - 1000) });
    // Still "booked" although it has started: no word came that it was held, so it is no activity.
    const startsAt = new Date(Date.now() - meetingDaysAgo * DAY_MS);
    await testDatabase().insert(meetings).values({
      id: `mtg_${label}_${crypto.randomUUID().slice(0, 8)}`,
      firmId: firm.firmId,
      opportunityId: opportunity.id,
      contactId: opportunity.contactId,
      provider: "calcom",
      meetingKey: `calcom:${label}-${crypto.randomUUID().slice(0, 8)}`,
      status: "booked",
      startsAt,
      endsAt: new Date(startsAt.getTime() + 1_800_000),
      lastEventAt: quietSince,
      createdAt: quietSince,
      updatedAt: quietSince,
    });
    return opportunity;
  }

  it("stall reason counts days from the stall clock", async () => {
    const [firm] = await seedTwoFirms();
    await quietWithPastMeeting(firm, "held", "meeting_held", 16.2, 0.3);

    await runCron(new Date());

    const [after] = await opportunitiesOf(firm.firmId);
    expect(after?.stalledAt).toBeInstanceOf(Date);
    expect(after?.stalledReason).toBe("16 days without activity in Meeting held (limit 7 days)");
  });

  it("stall reason states the stage's limit", async () => {
    const [firm] = await seedTwoFirms();
    await quietWithPastMeeting(firm, "proposal", "proposal_sent", 21.2, 7.2);

    await runCron(new Date());

    const [after] = await opportunitiesOf(firm.firmId);
    expect(after?.stalledReason).toBe("21 days without activity in Proposal sent (limit 14 days)");
  });

  it("stall reason uses the firm's own limit", async () => {
    const [firm] = await seedTwoFirms();
    await testDatabase().update(firms).set({ stallDays: { proposal_sent: 10 } }).where(eq(firms.id, firm.firmId));
    await quietWithPastMeeting(firm, "ownlimit", "proposal_sent", 12.5, 20);

    await runCron(new Date());

    const [after] = await opportunitiesOf(firm.firmId);
    expect(after?.stalledReason).toBe("12 days without activity in Proposal sent (limit 10 days)");
  });

  it("stall reason is kept from when flagged", async () => {
    const [firm] = await seedTwoFirms();
    const opportunity = await quietWithPastMeeting(firm, "kept", "in_conversation", 10.5, 30);
    const now = new Date();
    await runCron(now);
    const flaggedReason = (await opportunitiesOf(firm.firmId))[0]?.stalledReason;

    // The repeat check of a continuing stall falls due one stall period later.
    await age(opportunity.id, { nextStallCheckAt: new Date(now.getTime() + 1000) });
    await runCron(new Date(now.getTime() + 3 * DAY_MS));

    const [after] = await opportunitiesOf(firm.firmId);
    expect(flaggedReason).toBe("10 days without activity in In conversation (limit 10 days)");
    expect(after?.stalledReason).toBe(flaggedReason);
  });

  it("opportunity on track is not flagged", async () => {
    const [firm] = await seedTwoFirms();
    const opportunity = await oneOpportunity(firm.formKey, firm.firmId, "ontrack");
    await age(opportunity.id, { nextStallCheckAt: new Date(Date.now() - 1000) });
    await runCron(new Date());
    const [after] = await opportunitiesOf(firm.firmId);
    expect(after?.stalledAt).toBeNull();
    // Acknowledged stalls after 3 days by default, so the next look is then.
    expect(after!.nextStallCheckAt!.getTime()).toBeGreaterThan(Date.now() + 2 * DAY_MS);
  });

  it("long silence closes as lost, and revive reopens", async () => {
    const [firm] = await seedTwoFirms();
    const opportunity = await oneOpportunity(firm.formKey, firm.firmId, "silent");
    await setStage(firm.apiKey, opportunity.id, { stage: "in_conversation", reason: "Spoke on the phone" });
    const past = new Date(Date.now() - 60 * DAY_MS);
    await age(opportunity.id, { stageEnteredAt: past, lastActivityAt: past, lastProspectActivityAt: past, nextStallCheckAt: new Date(Date.now() - 1000) });

    await runCron(new Date());
    const [closed] = await opportunitiesOf(firm.firmId);
    expect(closed?.stage).toBe("lost");
    expect(closed?.closeReason).toBe("no response");
    expect(closed?.nextStallCheckAt).toBeNull();

    const revived = await callApi(`/v1/opportunities/${opportunity.id}/revive`, { method: "POST", headers: { authorization: `Bearer ${firm.apiKey}` } });
    expect(revived.status).toBe(200);
    const [open] = await opportunitiesOf(firm.firmId);
    expect(open?.stage).toBe("in_conversation");
    expect(open?.closedAt).toBeNull();
  });
});

describe("evidence from the firm's systems", () => {
  function sendEvent(apiKey: string, id: string, body: unknown) {
    return callApi(`/v1/opportunities/${id}/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  }

  it("won with a fee closes the opportunity", async () => {
    const [firm] = await seedTwoFirms();
    const opportunity = await oneOpportunity(firm.formKey, firm.firmId, "won");
    const response = await sendEvent(firm.apiKey, opportunity.id, { type: "won", valueMinor: 250_000, source: "clio" });
    expect(response.status).toBe(200);

    const [after] = await opportunitiesOf(firm.firmId);
    expect(after?.stage).toBe("won");
    expect(after?.valueMinor).toBe(250_000);
    expect(after?.closedAt).toBeInstanceOf(Date);
    const move = (await timelineOf(firm.firmId, opportunity.id)).find((entry) => entry.type === "stage.changed" && (entry.data as { to: string }).to === "won");
    expect(move?.data).toMatchObject({ source: "clio", event: "won" });
  });

  it("proposal sent never moves backwards", async () => {
    const [firm] = await seedTwoFirms();
    const opportunity = await oneOpportunity(firm.formKey, firm.firmId, "proposal");
    await sendEvent(firm.apiKey, opportunity.id, { type: "won" });
    const response = await sendEvent(firm.apiKey, opportunity.id, { type: "proposal_sent" });
    expect(((await response.json()) as { changed: boolean }).changed).toBe(false);
    const [after] = await opportunitiesOf(firm.firmId);
    expect(after?.stage).toBe("won");
  });

  it("unknown event type names the field", async () => {
    const [firm] = await seedTwoFirms();
    const opportunity = await oneOpportunity(firm.formKey, firm.firmId, "badevent");
    const response = await sendEvent(firm.apiKey, opportunity.id, { type: "signed" });
    expect(response.status).toBe(422);
    expect((await errorOf(response)).field).toBe("type");
  });

  it("override to the current stage is kept", async () => {
    const [firm] = await seedTwoFirms();
    const opportunity = await oneOpportunity(firm.formKey, firm.firmId, "same");
    const response = await setStage(firm.apiKey, opportunity.id, { stage: "acknowledged", reason: "Checked by hand" });
    expect(response.status).toBe(200);
    const [after] = await opportunitiesOf(firm.firmId);
    expect(after?.stageOverride?.stage).toBe("acknowledged");
    const types = (await timelineOf(firm.firmId, opportunity.id)).map((entry) => entry.type);
    expect(types).toContain("stage.override");
  });
});
