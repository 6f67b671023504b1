import { activities, emailSuppressions, tasks } from "@plumbline/db";
import { createExecutionContext, createMessageBatch, createScheduledController, getQueueResult, waitOnExecutionContext } from "cloudflare:test";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { parseEnv, type FollowUpMessage } from "../../apps/api/src/env";
import { deliverOutboundMessage } from "../../apps/api/src/follow-up/deliver";
import worker from "../../apps/api/src/index";
import { createLogger } from "../../apps/api/src/logger";
import { callApi, fakeBaseUrl, fakeRequests, submitJson, testEnv } from "../support/api";
import { integrationOf, seedIntegration, seedPeople, seedRule, seedTeam, settledMessages, tasksOf, updateFirm } from "../support/follow-up";
import { messagesOf, opportunitiesOf } from "../support/rows";
import { seedTwoFirms, testDatabase } from "../support/seed";

async function runCron(at: Date) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: at, cron: "* * * * *" }), testEnv(), ctx);
  await waitOnExecutionContext(ctx);
}

function enquire(formKey: string, id: string, fields: Record<string, string>) {
  return submitJson(formKey, { submissionId: `fu-${id}-${crypto.randomUUID().slice(0, 8)}`, fields });
}

describe("routing", () => {
  it("service line rule picks the owner", async () => {
    const [firm] = await seedTwoFirms();
    const [family, property] = await seedPeople(firm.firmId, [{ name: "Fay Family" }, { name: "Pete Property" }]);
    await seedRule(firm.firmId, 1, "family-law", { userId: family! });
    await seedRule(firm.firmId, 2, "property", { userId: property! });

    await enquire(firm.formKey, "rule", { name: "Routed", email: "routed@example.com", service: "conveyancing" });

    const [opportunity] = await opportunitiesOf(firm.firmId);
    expect(opportunity?.ownerUserId).toBe(property);
    const [task] = await tasksOf(firm.firmId);
    expect(task?.assigneeUserId).toBe(property);
    expect(task?.kind).toBe("respond_to_enquiry");
  });

  it("team round-robin skips people away", async () => {
    const [firm] = await seedTwoFirms();
    const [ann, bob, cat] = await seedPeople(firm.firmId, [{ name: "Ann" }, { name: "Bob", away: true }, { name: "Cat" }]);
    const team = await seedTeam(firm.firmId, "Family", [ann!, bob!, cat!]);
    await seedRule(firm.firmId, 1, null, { teamId: team });

    for (const i of [1, 2, 3, 4]) await enquire(firm.formKey, `rr${i}`, { name: `Prospect ${i}`, email: `rr${i}@example.com` });

    const owners = (await opportunitiesOf(firm.firmId)).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime()).map((o) => o.ownerUserId);
    // Turns 1..4 fall on Ann, Bob (away, so Cat), Cat, Ann.
    expect(owners).toEqual([ann, cat, cat, ann]);
  });

  it("no matching rule goes to the fallback owner", async () => {
    const [firm] = await seedTwoFirms();
    const [partner, fallback] = await seedPeople(firm.firmId, [{ name: "Family Only" }, { name: "Fallback" }]);
    await seedRule(firm.firmId, 1, "family-law", { userId: partner! });
    await updateFirm(firm.firmId, { fallbackOwnerUserId: fallback! });

    await enquire(firm.formKey, "fallback", { name: "Other", email: "other@example.com", service: "something-else" });

    const [opportunity] = await opportunitiesOf(firm.firmId);
    expect(opportunity?.ownerUserId).toBe(fallback);
  });

  it("task is due by the working-hours target", async () => {
    const [firm] = await seedTwoFirms();
    await enquire(firm.formKey, "due", { name: "Due", email: "due@example.com" });
    const [task] = await tasksOf(firm.firmId);
    const [opportunity] = await opportunitiesOf(firm.firmId);
    // 120 working minutes can never take less than 2 clock hours.
    expect(task!.dueAt.getTime() - opportunity!.createdAt.getTime()).toBeGreaterThanOrEqual(120 * 60_000);
    expect(task?.nextReminderAt?.getTime()).toBe(task?.dueAt.getTime());
  });
});

describe("acknowledgement email", () => {
  it("goes through Postmark with threading headers", async () => {
    const [firm] = await seedTwoFirms();
    await seedIntegration(firm.firmId, "mail", "postmark", `pm-${firm.firmId}-ok`);
    await updateFirm(firm.firmId, { senderEmail: "enquiries@firm.example", senderName: "Hartley & Moss" });

    await enquire(firm.formKey, "pm", { name: "Zoë <b>Bold</b>", email: "zoe.pm@example.com", service: "family" });
    const rows = await settledMessages(firm.firmId);
    const acknowledgement = rows.find((row) => row.kind === "acknowledgement_email");
    expect(acknowledgement?.status).toBe("sent");
    expect(acknowledgement?.provider).toBe("postmark");
    expect(acknowledgement?.providerMessageId).toBeTruthy();
    expect(acknowledgement?.messageIdHeader).toBe(`<${acknowledgement!.id}@mail.plumbline.localhost>`);

    const sent = (await fakeRequests("/postmark/email")).find((request) => request.headers["x-postmark-server-token"] === `pm-${firm.firmId}-ok`);
    const body = JSON.parse(sent!.body) as { To: string; ReplyTo: string; Subject: string; HtmlBody: string; TextBody: string; Headers: Array<{ Name: string; Value: string }> };
    const [opportunity] = await opportunitiesOf(firm.firmId);
    expect(body.ReplyTo).toBe(`reply+${opportunity!.replyToken}@inbound.plumbline.localhost`);
    expect(body.Subject).toContain(opportunity!.reference);
    expect(body.HtmlBody).toContain("Zoë &lt;b&gt;Bold&lt;/b&gt;".split(" ")[0]!);
    expect(body.HtmlBody).not.toContain("<b>Bold</b>");
    expect(body.TextBody).toContain("Monday to Friday 9am to 5.30pm");
    expect(body.Headers).toContainEqual({ Name: "Message-ID", Value: acknowledgement!.messageIdHeader });
  });

  it("names the service as the prospect chose it", async () => {
    const [firm] = await seedTwoFirms();
    await enquire(firm.formKey, "label", { name: "Chose Family", email: "chose.family@example.com", service: "family" });

    const acknowledgement = (await settledMessages(firm.firmId)).find((row) => row.kind === "acknowledgement_email");
    const text = (acknowledgement?.data as { rendered?: { text?: string } }).rendered?.text;
    // The form shows "Family law"; the firm's internal service line for it is "family-law".
    expect(text).toContain("about Family law.");
    expect(text).not.toContain("family-law");
    const [opportunity] = await opportunitiesOf(firm.firmId);
    expect(opportunity?.serviceLine).toBe("family-law");
  });

  it("no service chosen reads as your enquiry", async () => {
    const [firm] = await seedTwoFirms();
    await enquire(firm.formKey, "nolabel", { name: "No Choice", email: "no.choice@example.com" });

    const acknowledgement = (await settledMessages(firm.firmId)).find((row) => row.kind === "acknowledgement_email");
    const text = (acknowledgement?.data as { rendered?: { text?: string } }).rendered?.text;
    expect(text).toContain("about your enquiry.");
    expect(text).not.toContain("general");
  });

  it("provider outage is retried, not lost", async () => {
    const [firm] = await seedTwoFirms();
    await seedIntegration(firm.firmId, "mail", "postmark", "pm-down");
    await enquire(firm.formKey, "down", { name: "Outage", email: "outage@example.com" });

    await new Promise((resolve) => setTimeout(resolve, 1500));
    const acknowledgement = (await messagesOf(firm.firmId)).find((row) => row.kind === "acknowledgement_email");
    expect(acknowledgement?.status).toBe("pending");
    expect(acknowledgement?.attempts).toBe(1);
    expect(acknowledgement?.lastError).toContain("503");
    expect(acknowledgement?.nextAttemptAt).toBeInstanceOf(Date);
  });

  it("bad credentials stop and flag the integration", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedIntegration(firm.firmId, "mail", "postmark", "pm-bad");
    await enquire(firm.formKey, "bad", { name: "Bad Token", email: "badtoken@example.com" });

    const acknowledgement = (await settledMessages(firm.firmId)).find((row) => row.kind === "acknowledgement_email");
    expect(acknowledgement?.status).toBe("failed");
    expect((await integrationOf(firm.firmId, integrationId))?.status).toBe("needs_attention");

    const failed = (await (await callApi("/v1/outbound-messages", { headers: { authorization: `Bearer ${firm.apiKey}` } })).json()) as { data: Array<{ id: string }> };
    expect(failed.data.map((row) => row.id)).toContain(acknowledgement!.id);
  });

  it("failed message can be retried", async () => {
    const [firm, other] = await seedTwoFirms();
    await seedIntegration(firm.firmId, "mail", "postmark", "pm-bad");
    await enquire(firm.formKey, "retry", { name: "Retry Me", email: "retryme@example.com" });
    const acknowledgement = (await settledMessages(firm.firmId)).find((row) => row.kind === "acknowledgement_email");

    const foreign = await callApi(`/v1/outbound-messages/${acknowledgement!.id}/retry`, { method: "POST", headers: { authorization: `Bearer ${other.apiKey}` } });
    expect(foreign.status).toBe(404);

    const retried = await callApi(`/v1/outbound-messages/${acknowledgement!.id}/retry`, { method: "POST", headers: { authorization: `Bearer ${firm.apiKey}` } });
    expect(retried.status).toBe(202);
    const again = await callApi(`/v1/outbound-messages/${acknowledgement!.id}/retry`, { method: "POST", headers: { authorization: `Bearer ${firm.apiKey}` } });
    expect([202, 409]).toContain(again.status);
  });

  it("no address means no email", async () => {
    const [firm] = await seedTwoFirms();
    await enquire(firm.formKey, "phone", { name: "Phone Only", phone: "020 7946 0000" });
    const acknowledgement = (await settledMessages(firm.firmId)).find((row) => row.kind === "acknowledgement_email");
    expect(acknowledgement?.status).toBe("skipped");
    expect(acknowledgement?.statusReason).toBe("no address");
  });

  it("bounced address is not emailed", async () => {
    const [firm] = await seedTwoFirms();
    await testDatabase().insert(emailSuppressions).values({ firmId: firm.firmId, emailNormalised: "bounced@example.com", reason: "hard_bounce", createdAt: new Date() });
    await enquire(firm.formKey, "bounce", { name: "Bounced", email: "Bounced@Example.com" });
    const acknowledgement = (await settledMessages(firm.firmId)).find((row) => row.kind === "acknowledgement_email");
    expect(acknowledgement?.status).toBe("skipped");
    expect(acknowledgement?.statusReason).toBe("address bounced");
  });

  it("one address gets at most three a day", async () => {
    const [firm] = await seedTwoFirms();
    for (const i of [1, 2, 3, 4]) {
      await enquire(firm.formKey, `cap${i}`, { name: "Repeat Sender", email: "repeat@example.com", message: `Question ${i}` });
      await settledMessages(firm.firmId);
    }
    const statuses = (await messagesOf(firm.firmId))
      .filter((row) => row.kind === "acknowledgement_email")
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
      .map((row) => row.status);
    expect(statuses).toEqual(["sent", "sent", "sent", "skipped"]);
  });

  it("sending is recorded on the timeline", async () => {
    const [firm] = await seedTwoFirms();
    await enquire(firm.formKey, "timeline", { name: "Timeline", email: "timeline@example.com" });
    await settledMessages(firm.firmId);
    const [opportunity] = await opportunitiesOf(firm.firmId);
    const types = (await testDatabase().select().from(activities).where(and(eq(activities.firmId, firm.firmId), eq(activities.opportunityId, opportunity!.id)))).map((a) => a.type);
    expect(types).toContain("acknowledgement_email.sent");
    expect(types).toContain("partner_alert.sent");
  });
});

describe("partner alert", () => {
  it("Slack alert escapes what the prospect typed", async () => {
    const [firm] = await seedTwoFirms();
    await seedIntegration(firm.firmId, "chat", "slack", `${fakeBaseUrl()}/slack/services/T1/${firm.firmId}/ok`);
    await enquire(firm.formKey, "slack", { name: "<!channel> Mallory", email: "mallory@example.com", message: "see <https://evil.example|your bank>" });

    const alert = (await settledMessages(firm.firmId)).find((row) => row.kind === "partner_alert");
    expect(alert?.status).toBe("sent");
    expect(alert?.provider).toBe("slack");
    const [request] = await fakeRequests(`/slack/services/T1/${firm.firmId}/ok`);
    expect(request?.body).not.toContain("<!channel>");
    expect(request?.body).toContain("&lt;!channel&gt;");
    expect(request?.body).not.toContain("<https://evil.example|");
  });

  it("archived channel flags the integration", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedIntegration(firm.firmId, "chat", "slack", `${fakeBaseUrl()}/slack/services/T1/${firm.firmId}/channel_is_archived`);
    await enquire(firm.formKey, "archived", { name: "Archived", email: "archived@example.com" });
    const alert = (await settledMessages(firm.firmId)).find((row) => row.kind === "partner_alert");
    expect(alert?.status).toBe("failed");
    expect((await integrationOf(firm.firmId, integrationId))?.status).toBe("needs_attention");
  });

  it("Teams alert uses an Adaptive Card", async () => {
    const [firm] = await seedTwoFirms();
    await seedIntegration(firm.firmId, "chat", "teams", `${fakeBaseUrl()}/teams/workflows/${firm.firmId}/ok`);
    await enquire(firm.formKey, "teams", { name: "Teams Prospect", email: "teams@example.com" });
    const alert = (await settledMessages(firm.firmId)).find((row) => row.kind === "partner_alert");
    expect(alert?.status).toBe("sent");
    const [request] = await fakeRequests(`/teams/workflows/${firm.firmId}/ok`);
    expect(JSON.parse(request!.body).attachments[0].contentType).toBe("application/vnd.microsoft.card.adaptive");
  });

  it("links to the firm's opportunity page", async () => {
    const [firm] = await seedTwoFirms();
    await enquire(firm.formKey, "link", { name: "Linked Prospect", email: "linked@example.com" });

    const alert = (await settledMessages(firm.firmId)).find((row) => row.kind === "partner_alert");
    const [opportunity] = await opportunitiesOf(firm.firmId);
    const rendered = (alert?.data as { rendered?: { link?: { url: string } } }).rendered;
    expect(rendered?.link?.url).toBe(`http://localhost:5173/firms/${firm.firmId}/opportunities/${opportunity!.id}`);
  });

  it("burst is folded into a digest", async () => {
    const [firm] = await seedTwoFirms();
    await seedIntegration(firm.firmId, "chat", "slack", `${fakeBaseUrl()}/slack/services/T2/${firm.firmId}/ok`);
    await Promise.all([1, 2, 3, 4, 5, 6].map((i) => enquire(firm.formKey, `burst${i}`, { name: `Burst ${i}`, email: `burst${i}@example.com` })));

    const alerts = (await settledMessages(firm.firmId, 15_000)).filter((row) => row.kind === "partner_alert");
    expect(alerts.every((row) => row.status === "sent")).toBe(true);
    const posts = await fakeRequests(`/slack/services/T2/${firm.firmId}/ok`);
    expect(posts.length).toBeLessThan(6);
    expect(posts.length).toBeGreaterThan(0);
  });
});

describe("reminders and escalation", () => {
  // Reminders go out only in the firm's working hours, so the cron runs at a fixed working moment rather than at the
  // time the tests happen to run: a Wednesday, 11:00 in London.
  const WORKING_NOW = new Date("2026-03-04T11:00:00Z");

  async function overdueTask(firmId: string, formKey: string, label: string) {
    await enquire(formKey, label, { name: `Overdue ${label}`, email: `${label}@example.com` });
    const fresh = new Date(Date.now() - 60_000);
    const [task] = (await tasksOf(firmId)).filter((row) => row.title.length > 0 && row.nextReminderAt && row.nextReminderAt > fresh);
    const past = new Date(WORKING_NOW.getTime() - 60_000);
    await testDatabase().update(tasks).set({ dueAt: past, nextReminderAt: past }).where(eq(tasks.id, task!.id));
    return task!.id;
  }

  function notices(firmId: string) {
    return messagesOf(firmId).then((rows) => rows.filter((row) => row.kind === "task_reminder" || row.kind === "task_escalation"));
  }

  it("overdue task gets one reminder from two cron runs", async () => {
    const [firm] = await seedTwoFirms();
    const [partner] = await seedPeople(firm.firmId, [{ name: "Reminded Partner" }]);
    await updateFirm(firm.firmId, { fallbackOwnerUserId: partner! });
    await overdueTask(firm.firmId, firm.formKey, "remind-once");

    await Promise.all([runCron(WORKING_NOW), runCron(WORKING_NOW)]);

    const sent = await notices(firm.firmId);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.kind).toBe("task_reminder");
    expect((sent[0]?.data as { recipientUserId: string }).recipientUserId).toBe(partner);
  });

  it("reminder links to the firm's opportunity page", async () => {
    const [firm] = await seedTwoFirms();
    const [partner] = await seedPeople(firm.firmId, [{ name: "Linked Partner" }]);
    await updateFirm(firm.firmId, { fallbackOwnerUserId: partner! });
    await overdueTask(firm.firmId, firm.formKey, "remind-link");

    await runCron(WORKING_NOW);

    const reminder = (await settledMessages(firm.firmId)).find((row) => row.kind === "task_reminder");
    const [opportunity] = await opportunitiesOf(firm.firmId);
    const text = (reminder?.data as { rendered?: { text?: string } }).rendered?.text;
    expect(text).toContain(` http://localhost:5173/firms/${firm.firmId}/opportunities/${opportunity!.id}\n`);
  });

  it("completed task gets no reminder", async () => {
    const [firm] = await seedTwoFirms();
    const [partner] = await seedPeople(firm.firmId, [{ name: "Done Partner" }]);
    await updateFirm(firm.firmId, { fallbackOwnerUserId: partner! });
    const taskId = await overdueTask(firm.firmId, firm.formKey, "completed");

    const completed = await callApi(`/v1/tasks/${taskId}/complete`, { method: "POST", headers: { authorization: `Bearer ${firm.apiKey}` } });
    expect(completed.status).toBe(200);
    await runCron(WORKING_NOW);
    expect(await notices(firm.firmId)).toHaveLength(0);
  });

  it("escalates after the configured reminders", async () => {
    const [firm] = await seedTwoFirms();
    const [partner, head] = await seedPeople(firm.firmId, [{ name: "Slow Partner" }, { name: "Head of Department" }]);
    await updateFirm(firm.firmId, { fallbackOwnerUserId: partner!, escalationUserId: head!, remindersBeforeEscalation: 1 });
    const taskId = await overdueTask(firm.firmId, firm.formKey, "escalate");

    await runCron(WORKING_NOW);
    await testDatabase().update(tasks).set({ nextReminderAt: WORKING_NOW }).where(eq(tasks.id, taskId));
    await runCron(new Date(WORKING_NOW.getTime() + 60_000));

    const kinds = (await notices(firm.firmId)).map((row) => [row.kind, (row.data as { recipientUserId: string }).recipientUserId]);
    expect(kinds).toContainEqual(["task_reminder", partner]);
    expect(kinds).toContainEqual(["task_escalation", head]);
    const [task] = (await tasksOf(firm.firmId)).filter((row) => row.id === taskId);
    expect(task?.nextReminderAt).toBeNull();
  });

  /** Adds an open task of the firm, due (and owed its next reminder) at `dueAt`, with `reminderCount` sent. */
  async function taskDueAt(firmId: string, assigneeUserId: string, dueAt: Date, reminderCount = 0) {
    const id = `task_weekend_${crypto.randomUUID().slice(0, 8)}`;
    await testDatabase().insert(tasks).values({
      id,
      firmId,
      opportunityId: null,
      assigneeUserId,
      kind: "respond_to_enquiry",
      title: "Respond to enquiry",
      status: "open",
      dueAt,
      reminderCount,
      nextReminderAt: dueAt,
      createdAt: dueAt,
      updatedAt: dueAt,
    });
    return id;
  }

  // The seeded firm works Monday to Friday, 09:00 to 17:30 in London; March 2026 is before the clocks change.
  const FRIDAY_DUE = new Date("2026-03-06T16:00:00Z");
  const FRIDAY_EVENING = new Date("2026-03-06T18:30:00Z");
  const SATURDAY = new Date("2026-03-07T10:00:00Z");
  const MONDAY_OPENING = new Date("2026-03-09T09:00:00Z");

  it("overdue Friday task is reminded on Monday", async () => {
    const [firm] = await seedTwoFirms();
    const [partner] = await seedPeople(firm.firmId, [{ name: "Weekend Partner" }]);
    const taskId = await taskDueAt(firm.firmId, partner!, FRIDAY_DUE);

    await runCron(FRIDAY_EVENING);
    await runCron(SATURDAY);

    expect(await notices(firm.firmId)).toHaveLength(0);
    const [waiting] = (await tasksOf(firm.firmId)).filter((row) => row.id === taskId);
    expect(waiting?.reminderCount).toBe(0);
    expect(waiting?.nextReminderAt?.toISOString()).toBe(MONDAY_OPENING.toISOString());

    await runCron(new Date(MONDAY_OPENING.getTime() + 60_000));

    const sent = await notices(firm.firmId);
    expect(sent.map((row) => row.kind)).toEqual(["task_reminder"]);
    expect(sent[0]?.createdAt.toISOString()).toBe(new Date(MONDAY_OPENING.getTime() + 60_000).toISOString());
  });

  it("escalation waits for working hours", async () => {
    const [firm] = await seedTwoFirms();
    const [partner, head] = await seedPeople(firm.firmId, [{ name: "Weekend Partner" }, { name: "Weekend Head" }]);
    await updateFirm(firm.firmId, { escalationUserId: head!, remindersBeforeEscalation: 2 });
    await taskDueAt(firm.firmId, partner!, FRIDAY_DUE, 2);

    await runCron(SATURDAY);
    expect(await notices(firm.firmId)).toHaveLength(0);

    await runCron(new Date(MONDAY_OPENING.getTime() + 60_000));
    const sent = await notices(firm.firmId);
    expect(sent.map((row) => [row.kind, (row.data as { recipientUserId: string }).recipientUserId])).toEqual([["task_escalation", head]]);
  });

  it("closed date defers a reminder", async () => {
    const [firm] = await seedTwoFirms();
    const [partner] = await seedPeople(firm.firmId, [{ name: "Holiday Partner" }]);
    await updateFirm(firm.firmId, { closedDates: ["2026-03-09"] });
    const taskId = await taskDueAt(firm.firmId, partner!, FRIDAY_DUE);

    await runCron(new Date(MONDAY_OPENING.getTime() + 60_000));

    expect(await notices(firm.firmId)).toHaveLength(0);
    const [waiting] = (await tasksOf(firm.firmId)).filter((row) => row.id === taskId);
    expect(waiting?.nextReminderAt?.toISOString()).toBe("2026-03-10T09:00:00.000Z");
  });

  it("backlog becomes one digest", async () => {
    const [firm] = await seedTwoFirms();
    const [partner] = await seedPeople(firm.firmId, [{ name: "Busy Partner" }]);
    await updateFirm(firm.firmId, { fallbackOwnerUserId: partner! });
    for (const i of [1, 2, 3, 4, 5]) await overdueTask(firm.firmId, firm.formKey, `backlog${i}`);

    await runCron(WORKING_NOW);
    const sent = await notices(firm.firmId);
    expect(sent).toHaveLength(1);
    expect((sent[0]?.data as { tasks: unknown[] }).tasks).toHaveLength(5);
  });
});

describe("integrations API", () => {
  it("stores the secret encrypted and never returns it", async () => {
    const [firm] = await seedTwoFirms();
    const response = await callApi("/v1/integrations", {
      method: "POST",
      headers: { authorization: `Bearer ${firm.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ kind: "mail", provider: "postmark", secret: "server-token-secret-123" }),
    });
    expect(response.status).toBe(201);
    expect(await response.text()).not.toContain("server-token-secret-123");
    const stored = await testDatabase().query.integrations.findFirst({ where: (table, { eq: equal }) => equal(table.firmId, firm.firmId) });
    expect(stored?.secretEncrypted).not.toContain("server-token-secret-123");
  });

  it("rejects a retired Teams connector URL", async () => {
    const [firm] = await seedTwoFirms();
    const response = await callApi("/v1/integrations", {
      method: "POST",
      headers: { authorization: `Bearer ${firm.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ kind: "chat", provider: "teams", secret: "https://firm.webhook.office.com/webhookb2/abc" }),
    });
    expect(response.status).toBe(422);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain("Workflows");
  });
});

describe("provider outage and recovery", () => {
  /** A queue that accepts and drops messages, so only the test drives delivery. */
  const silentQueue = { send: async () => {}, sendBatch: async () => {} };

  it("every message arrives exactly once", async () => {
    const [firm] = await seedTwoFirms();
    const token = `pm-outage4-${firm.firmId}`;
    await seedIntegration(firm.firmId, "mail", "postmark", token);
    for (const i of [1, 2, 3]) {
      await callApi(
        `/v1/forms/${firm.formKey}/submissions`,
        { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ submissionId: `outage-${i}-abcdef`, fields: { name: `Outage ${i}`, email: `outage${i}@example.com` } }) },
        { FOLLOW_UP_QUEUE: silentQueue },
      );
    }
    const acknowledgements = (await messagesOf(firm.firmId)).filter((row) => row.kind === "acknowledgement_email");
    expect(acknowledgements).toHaveLength(3);

    // Redeliver like the queue would, moving the clock past each retry, until the outage is over.
    const env = parseEnv(testEnv({ FOLLOW_UP_QUEUE: silentQueue }));
    let now = Date.now();
    for (let round = 1; round <= 6; round++) {
      for (const row of acknowledgements) {
        await deliverOutboundMessage({ env, db: testDatabase(), logger: createLogger(), now: new Date(now), attempt: round }, firm.firmId, row.id);
      }
      now += 2 * 60 * 60 * 1000;
    }

    const finished = (await messagesOf(firm.firmId)).filter((row) => row.kind === "acknowledgement_email");
    expect(finished.every((row) => row.status === "sent")).toBe(true);
    const accepted = (await fakeRequests("/postmark/email")).filter((request) => request.headers["x-postmark-server-token"] === token);
    // Four 503s during the outage, then exactly one accepted request per message.
    expect(accepted).toHaveLength(4 + 3);
    const delivered = new Set(accepted.slice(4).map((request) => JSON.parse(request.body).Metadata.outboundMessageId));
    expect(delivered).toEqual(new Set(acknowledgements.map((row) => row.id)));
  });
});

describe("follow-up queue", () => {
  it("acks a sent message and retries a rate-limited one", async () => {
    const [firm, other] = await seedTwoFirms();
    await seedIntegration(firm.firmId, "mail", "postmark", "pm-ok-queue");
    await seedIntegration(other.firmId, "mail", "postmark", "pm-limited-queue");
    const silentQueue = { send: async () => {}, sendBatch: async () => {} };
    for (const seeded of [firm, other]) {
      await callApi(
        `/v1/forms/${seeded.formKey}/submissions`,
        { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ fields: { name: "Queue Case", email: "queuecase@example.com" } }) },
        { FOLLOW_UP_QUEUE: silentQueue },
      );
    }
    const ok = (await messagesOf(firm.firmId)).find((row) => row.kind === "acknowledgement_email")!;
    const limited = (await messagesOf(other.firmId)).find((row) => row.kind === "acknowledgement_email")!;

    const batch = createMessageBatch<FollowUpMessage>("plumbline-follow-up", [
      { id: "q-ok", timestamp: new Date(), attempts: 1, body: { kind: "outbound" as const, outboundMessageId: ok.id, firmId: firm.firmId } },
      { id: "q-limited", timestamp: new Date(), attempts: 1, body: { kind: "outbound" as const, outboundMessageId: limited.id, firmId: other.firmId } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, testEnv(), ctx);
    const result = await getQueueResult(batch, ctx);

    expect(result.explicitAcks).toEqual(["q-ok"]);
    expect(result.retryMessages.map((retry) => retry.msgId)).toEqual(["q-limited"]);
    const after = (await messagesOf(other.firmId)).find((row) => row.id === limited.id);
    // The fake's Retry-After is 7 s, and the first backoff is at least 15 s, so the wait is the larger one.
    expect(after!.nextAttemptAt!.getTime() - after!.updatedAt.getTime()).toBeGreaterThanOrEqual(7000);
    expect(after?.lastError).toContain("429");
  });
});
