import { addWorkingMinutes, createWorkingCalendar, newId } from "@plumbline/core";
import { activities, contacts, emailMessages, firms, integrations, opportunities, outboundMessages, users, webhookEvents, type EmailMessage } from "@plumbline/db";
import { TRUNCATION_MARKER } from "@plumbline/integrations";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { encryptSecret } from "../../apps/api/src/lib/crypto";
import worker from "../../apps/api/src/index";
import { parseEnv } from "../../apps/api/src/env";
import { createLogger } from "../../apps/api/src/logger";
import { processWebhookEvent } from "../../apps/api/src/webhooks/dispatch";
import { callApi, fakeBaseUrl, fakeRequests, submitJson, testEnv } from "../support/api";
import { seedIntegration, seedPeople, seedRule, settledMessages, tasksOf } from "../support/follow-up";
import { seedTwoFirms, testDatabase, type SeededFirm } from "../support/seed";
import postmarkReply from "../fixtures/inbound/postmark-reply.json";
import latin1Reply from "../fixtures/inbound/latin1-reply.txt?raw";

const TOKEN = "inbound-token-0123456789abcdef";
const MAILGUN_KEY = "mailgun-signing-key-0123456789";
const INBOUND_DOMAIN = "inbound.plumbline.localhost";
const encoder = new TextEncoder();
const db = () => testDatabase();

// ---------------------------------------------------------------------------------------------------------------
// Helpers

async function seedInbound(firmId: string, provider: "postmark" | "sendgrid" | "mailgun", secret: string): Promise<string> {
  const id = newId("int");
  const now = new Date();
  await db()
    .insert(integrations)
    .values({
      id,
      firmId,
      kind: "inbound_mail",
      provider,
      name: `${provider} inbound`,
      settings: {},
      secretEncrypted: await encryptSecret(env.ENCRYPTION_KEY, secret),
      createdAt: now,
      updatedAt: now,
    });
  return id;
}

/** Submits an enquiry and waits until its acknowledgement is sent; returns its opportunity. */
async function enquiry(firm: SeededFirm, email: string) {
  const response = await submitJson(firm.formKey, { submissionId: `ie-${crypto.randomUUID()}`, fields: { name: "Pat Prospect", email } });
  expect(response.status).toBeLessThan(300);
  const messages = await settledMessages(firm.firmId);
  const rows = await db().select().from(opportunities).where(eq(opportunities.firmId, firm.firmId));
  const contact = await db()
    .select()
    .from(contacts)
    .where(and(eq(contacts.firmId, firm.firmId), eq(contacts.emailNormalised, email)))
    .get();
  const opportunity = rows.find((row) => row.contactId === contact?.id)!;
  const acknowledgement = messages.find((row) => row.kind === "acknowledgement_email" && row.opportunityId === opportunity.id)!;
  return { opportunity, acknowledgement };
}

interface MailSpec {
  from: string;
  to?: string[];
  subject?: string;
  text?: string;
  messageId?: string;
  headers?: Array<[string, string]>;
}

function postmarkBody(spec: MailSpec): string {
  const to = spec.to ?? [`enquiries@${INBOUND_DOMAIN}`];
  const messageId = spec.messageId ?? `<${crypto.randomUUID()}@mail.example.org>`;
  return JSON.stringify({
    ...postmarkReply,
    From: spec.from,
    FromFull: { Email: spec.from, Name: "", MailboxHash: "" },
    To: to.join(", "),
    ToFull: to.map((address) => ({ Email: address, Name: "", MailboxHash: "" })),
    OriginalRecipient: to[0],
    Subject: spec.subject ?? postmarkReply.Subject,
    TextBody: spec.text ?? postmarkReply.TextBody,
    MessageID: crypto.randomUUID(),
    Headers: [{ Name: "Message-ID", Value: messageId }, ...(spec.headers ?? []).map(([Name, Value]) => ({ Name, Value }))],
  });
}

function sendPostmark(integrationId: string, body: string, token: string | null = TOKEN) {
  const query = token === null ? "" : `?token=${encodeURIComponent(token)}`;
  return callApi(`/v1/inbound/postmark/${integrationId}${query}`, { method: "POST", headers: { "content-type": "application/json" }, body });
}

/** Waits for the queue consumer to finish every stored webhook of the firm. */
async function processed(firmId: string, timeoutMs = 8000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await db().select().from(webhookEvents).where(eq(webhookEvents.firmId, firmId));
    if (rows.every((row) => row.status !== "received") || Date.now() > deadline) return rows;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function emailsOf(firmId: string): Promise<EmailMessage[]> {
  return db().select().from(emailMessages).where(eq(emailMessages.firmId, firmId));
}

async function emailByMessageId(firmId: string, messageId: string): Promise<EmailMessage | undefined> {
  return (await emailsOf(firmId)).find((row) => row.messageIdHeader === messageId);
}

async function opportunityRow(firmId: string, id: string) {
  return db()
    .select()
    .from(opportunities)
    .where(and(eq(opportunities.firmId, firmId), eq(opportunities.id, id)))
    .get();
}

async function partnerAddress(firmId: string): Promise<string> {
  const [userId] = await seedPeople(firmId, [{ name: "Paula Partner" }]);
  const user = await db().select().from(users).where(eq(users.id, userId!)).get();
  return user!.email;
}

/** Sends one Postmark message and waits for it to be processed; returns its stored email row. */
async function deliver(firm: SeededFirm, integrationId: string, spec: MailSpec): Promise<EmailMessage | undefined> {
  const messageId = spec.messageId ?? `<${crypto.randomUUID()}@mail.example.org>`;
  const response = await sendPostmark(integrationId, postmarkBody({ ...spec, messageId }));
  expect(response.status).toBe(200);
  await processed(firm.firmId);
  return emailByMessageId(firm.firmId, messageId);
}

function fileEmail(apiKey: string, emailId: string, opportunityId: string) {
  return callApi(`/v1/emails/${emailId}/file`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ opportunityId }),
  });
}

const prospect = () => `prospect.${crypto.randomUUID().slice(0, 8)}@example.org`;

// ---------------------------------------------------------------------------------------------------------------

describe("threading", () => {
  it("In-Reply-To matches our acknowledgement", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedInbound(firm.firmId, "postmark", TOKEN);
    const address = prospect();
    const { opportunity, acknowledgement } = await enquiry(firm, address);
    expect(acknowledgement.messageIdHeader).toMatch(/^<.+@.+>$/);

    const email = await deliver(firm, integrationId, { from: address, headers: [["In-Reply-To", acknowledgement.messageIdHeader!]] });
    expect(email?.opportunityId).toBe(opportunity.id);
    expect(email?.matchedBy).toBe("in_reply_to");
    expect(email?.direction).toBe("inbound");
  });

  it("In-Reply-To wins over a reply token", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedInbound(firm.firmId, "postmark", TOKEN);
    const first = await enquiry(firm, prospect());
    const second = await enquiry(firm, prospect());

    const email = await deliver(firm, integrationId, {
      from: "someone.else@example.net",
      to: [`reply+${second.opportunity.replyToken}@${INBOUND_DOMAIN}`],
      headers: [["In-Reply-To", first.acknowledgement.messageIdHeader!]],
    });
    expect(email?.opportunityId).toBe(first.opportunity.id);
    expect(email?.matchedBy).toBe("in_reply_to");
  });

  it("References match an earlier captured email", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedInbound(firm.firmId, "postmark", TOKEN);
    const { opportunity, acknowledgement } = await enquiry(firm, prospect());
    const earlierId = `<${crypto.randomUUID()}@mail.example.org>`;
    await deliver(firm, integrationId, { from: "cc.person@example.net", messageId: earlierId, headers: [["In-Reply-To", acknowledgement.messageIdHeader!]] });

    const email = await deliver(firm, integrationId, {
      from: "third.party@example.net",
      headers: [
        ["In-Reply-To", "<unknown-parent@elsewhere.example>"],
        ["References", `<older@elsewhere.example> ${earlierId}`],
      ],
    });
    expect(email?.opportunityId).toBe(opportunity.id);
    expect(email?.matchedBy).toBe("references");
  });

  it("reply token in To matches", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedInbound(firm.firmId, "postmark", TOKEN);
    const { opportunity } = await enquiry(firm, prospect());
    const email = await deliver(firm, integrationId, { from: "new.address@example.net", to: [`reply+${opportunity.replyToken}@${INBOUND_DOMAIN}`] });
    expect(email?.opportunityId).toBe(opportunity.id);
    expect(email?.matchedBy).toBe("reply_token");
  });

  it("reply token in Delivered-To matches", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedInbound(firm.firmId, "postmark", TOKEN);
    const { opportunity } = await enquiry(firm, prospect());
    const email = await deliver(firm, integrationId, {
      from: "new.address@example.net",
      headers: [["Delivered-To", `reply+${opportunity.replyToken}@${INBOUND_DOMAIN}`]],
    });
    expect(email?.matchedBy).toBe("reply_token");
  });

  it("subject reference matches", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedInbound(firm.firmId, "postmark", TOKEN);
    const { opportunity } = await enquiry(firm, prospect());
    const email = await deliver(firm, integrationId, { from: "new.address@example.net", subject: `About ${opportunity.reference} again` });
    expect(email?.opportunityId).toBe(opportunity.id);
    expect(email?.matchedBy).toBe("subject_reference");
  });

  it("junk header values are ignored", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedInbound(firm.firmId, "postmark", TOKEN);
    const { opportunity } = await enquiry(firm, prospect());
    const email = await deliver(firm, integrationId, {
      from: "new.address@example.net",
      to: [`reply+${opportunity.replyToken}@${INBOUND_DOMAIN}`],
      headers: [
        ["In-Reply-To", "<abc>"],
        ["References", "garbage not-an-id <also-junk>"],
      ],
    });
    expect(email?.inReplyTo).toBeNull();
    expect(email?.references).toEqual([]);
    expect(email?.matchedBy).toBe("reply_token");
  });

  it("participant matches the single open opportunity", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedInbound(firm.firmId, "postmark", TOKEN);
    const address = prospect();
    const { opportunity } = await enquiry(firm, address);
    const email = await deliver(firm, integrationId, { from: address, subject: "A question" });
    expect(email?.opportunityId).toBe(opportunity.id);
    expect(email?.matchedBy).toBe("participant");
  });

  it("unknown sender stays unmatched", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedInbound(firm.firmId, "postmark", TOKEN);
    const email = await deliver(firm, integrationId, { from: "stranger@example.net", subject: "Hello" });
    expect(email).toBeDefined();
    expect(email?.opportunityId).toBeNull();
    expect(email?.matchedBy).toBeNull();
  });
});

describe("first human reply", () => {
  it("partner reply sets first response once", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedInbound(firm.firmId, "postmark", TOKEN);
    const partner = await partnerAddress(firm.firmId);
    const address = prospect();
    const { opportunity, acknowledgement } = await enquiry(firm, address);

    const acknowledged = await opportunityRow(firm.firmId, opportunity.id);
    expect(acknowledged?.stage).toBe("acknowledged");
    expect(acknowledged?.firstResponseAt).toBeNull();

    const reply = await deliver(firm, integrationId, { from: partner, to: [address], headers: [["In-Reply-To", acknowledgement.messageIdHeader!]], text: "Dear Pat, happy to help." });
    expect(reply?.direction).toBe("outbound");
    expect(reply?.classification).toBe("human");

    const answered = await opportunityRow(firm.firmId, opportunity.id);
    expect(answered?.stage).toBe("in_conversation");
    expect(answered?.firstResponseAt).toBeInstanceOf(Date);
    const tasks = await tasksOf(firm.firmId);
    expect(tasks.find((task) => task.opportunityId === opportunity.id && task.kind === "respond_to_enquiry")?.status).toBe("done");

    await deliver(firm, integrationId, { from: partner, to: [address], headers: [["In-Reply-To", acknowledgement.messageIdHeader!]], text: "One more thing." });
    const later = await opportunityRow(firm.firmId, opportunity.id);
    expect(later?.firstResponseAt?.getTime()).toBe(answered?.firstResponseAt?.getTime());

    const timeline = await db().select().from(activities).where(eq(activities.opportunityId, opportunity.id));
    expect(timeline.filter((entry) => entry.type === "email.replied")).toHaveLength(2);
  });

  it("copy of the acknowledgement never counts", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedInbound(firm.firmId, "postmark", TOKEN);
    const partner = await partnerAddress(firm.firmId);
    const address = prospect();
    const { opportunity, acknowledgement } = await enquiry(firm, address);

    await sendPostmark(integrationId, postmarkBody({ from: partner, to: [address], messageId: acknowledgement.messageIdHeader! }));
    const events = await processed(firm.firmId);
    expect(events.some((event) => event.status === "ignored")).toBe(true);
    expect((await opportunityRow(firm.firmId, opportunity.id))?.firstResponseAt).toBeNull();
  });

  it("prospect reply moves last prospect activity", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedInbound(firm.firmId, "postmark", TOKEN);
    const address = prospect();
    const { opportunity, acknowledgement } = await enquiry(firm, address);
    const before = (await opportunityRow(firm.firmId, opportunity.id))!.lastProspectActivityAt!.getTime();
    await new Promise((resolve) => setTimeout(resolve, 20));

    await deliver(firm, integrationId, { from: address, headers: [["In-Reply-To", acknowledgement.messageIdHeader!], ["Date", new Date().toUTCString()]] });
    const after = await opportunityRow(firm.firmId, opportunity.id);
    expect(after?.lastProspectActivityAt?.getTime()).toBeGreaterThanOrEqual(before);
    expect(after?.firstResponseAt).toBeNull();
    expect(after?.stage).toBe("acknowledged");
  });

  for (const [name, spec, kind] of [
    ["out-of-office", { subject: "Out of office: Re: Your enquiry", headers: [["Auto-Submitted", "auto-replied"]] }, "out_of_office"],
    ["auto-reply", { subject: "Automatic reply: Re: Your enquiry", headers: [["X-Autoreply", "yes"]] }, "auto_reply"],
    ["bounce", { subject: "Undeliverable: Re: Your enquiry", headers: [["Auto-Submitted", "auto-replied"]] }, "bounce"],
  ] as const) {
    it(`${name} from the firm does not count`, async () => {
      const [firm] = await seedTwoFirms();
      const integrationId = await seedInbound(firm.firmId, "postmark", TOKEN);
      const partner = await partnerAddress(firm.firmId);
      const address = prospect();
      const { opportunity, acknowledgement } = await enquiry(firm, address);

      const email = await deliver(firm, integrationId, {
        from: partner,
        to: [address],
        subject: spec.subject,
        text: "I am away until Monday.",
        headers: [["In-Reply-To", acknowledgement.messageIdHeader!], ...spec.headers.map(([key, value]) => [key, value] as [string, string])],
      });
      expect(email?.classification).toBe(kind);
      const row = await opportunityRow(firm.firmId, opportunity.id);
      expect(row?.firstResponseAt).toBeNull();
      expect(row?.stage).toBe("acknowledged");
      const tasks = await tasksOf(firm.firmId);
      expect(tasks.find((task) => task.opportunityId === opportunity.id)?.status).toBe("open");
    });
  }
});

describe("forwarded enquiry", () => {
  it("is credited to the original sender", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedInbound(firm.firmId, "postmark", TOKEN);
    const partner = await partnerAddress(firm.firmId);
    const original = prospect();
    const text = [
      "Could we take this one?",
      "",
      "---------- Forwarded message ---------",
      `From: Olive Original <${original}>`,
      "Date: Wed, 2 Dec 2026 at 11:02",
      "Subject: Selling my flat",
      "To: Paula Partner <paula@firm.example>",
      "",
      "Hello, I would like a quote for conveyancing.",
    ].join("\n");

    const email = await deliver(firm, integrationId, { from: partner, to: [`firm+${firm.firmId}@${INBOUND_DOMAIN}`], subject: "Fwd: Selling my flat", text });
    expect(email?.forwardedBy).toBe(partner);
    expect(email?.fromEmail).toBe(original);
    expect(email?.direction).toBe("inbound");
    expect(email?.matchedBy).toBe("forward");

    const contact = await db()
      .select()
      .from(contacts)
      .where(and(eq(contacts.firmId, firm.firmId), eq(contacts.emailNormalised, original)))
      .get();
    expect(contact?.name).toBe("Olive Original");
    const opportunity = await opportunityRow(firm.firmId, email!.opportunityId!);
    expect(opportunity?.contactId).toBe(contact?.id);
    expect(opportunity?.origin).toBe("email");
    expect(opportunity?.firstResponseAt).toBeNull();
  });
  it("new opportunity is routed with a task", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedInbound(firm.firmId, "postmark", TOKEN);
    const partner = await partnerAddress(firm.firmId);
    const [routedTo] = await seedPeople(firm.firmId, [{ name: "Rita Routed" }]);
    await seedRule(firm.firmId, 0, null, { userId: routedTo! });
    const original = prospect();
    const text = ["Can someone pick this up?", "", "---------- Forwarded message ---------", `From: Owen Original <${original}>`, "Subject: Lease extension", "", "Hello, I need advice on a lease."].join("\n");

    const email = await deliver(firm, integrationId, { from: partner, to: [`firm+${firm.firmId}@${INBOUND_DOMAIN}`], subject: "Fwd: Lease extension", text });
    expect(email?.matchedBy).toBe("forward");
    const opportunity = await opportunityRow(firm.firmId, email!.opportunityId!);
    expect(opportunity?.ownerUserId).toBe(routedTo);

    const task = (await tasksOf(firm.firmId)).find((row) => row.opportunityId === opportunity!.id);
    expect(task?.kind).toBe("respond_to_enquiry");
    expect(task?.status).toBe("open");
    expect(task?.assigneeUserId).toBe(routedTo);
    expect(task?.title).toBe(`Respond to enquiry ${opportunity!.reference}`);
    const settings = (await db().select().from(firms).where(eq(firms.id, firm.firmId)).get())!;
    const calendar = createWorkingCalendar({ timeZone: settings.timeZone, workingHours: settings.workingHours, closedDates: settings.closedDates });
    expect(task?.dueAt.getTime()).toBe(addWorkingMinutes(opportunity!.createdAt, settings.responseTargetMinutes, calendar).getTime());
    expect(task?.nextReminderAt?.getTime()).toBe(task?.dueAt.getTime());

    const sent = await db().select().from(outboundMessages).where(eq(outboundMessages.opportunityId, opportunity!.id));
    expect(sent.filter((row) => row.kind === "acknowledgement_email")).toHaveLength(0);
  });

  it("alerts the firm's Slack once", async () => {
    const [firm, other] = await seedTwoFirms();
    const integrationId = await seedInbound(firm.firmId, "postmark", TOKEN);
    const slackPath = `/slack/services/T4/${firm.firmId}/ok`;
    await seedIntegration(firm.firmId, "chat", "slack", `${fakeBaseUrl()}${slackPath}`);
    const otherSlackPath = `/slack/services/T4/${other.firmId}/ok`;
    await seedIntegration(other.firmId, "chat", "slack", `${fakeBaseUrl()}${otherSlackPath}`);
    const partner = await partnerAddress(firm.firmId);
    const original = prospect();
    const text = ["Over to you.", "", "---------- Forwarded message ---------", `From: Fern Forwarded <${original}>`, "Subject: Probate", "", "Hello, my father has died and I need help with probate."].join("\n");

    const email = await deliver(firm, integrationId, { from: partner, to: [`firm+${firm.firmId}@${INBOUND_DOMAIN}`], subject: "Fwd: Probate", text });
    const opportunity = await opportunityRow(firm.firmId, email!.opportunityId!);
    const alerts = (await settledMessages(firm.firmId)).filter((row) => row.kind === "partner_alert");
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.opportunityId).toBe(opportunity!.id);
    expect(alerts[0]?.status).toBe("sent");
    expect(alerts[0]?.provider).toBe("slack");

    const posts = await fakeRequests(slackPath);
    expect(posts).toHaveLength(1);
    expect(posts[0]?.body).toContain(opportunity!.reference);
    expect(posts[0]?.body).toContain("Fern Forwarded");
    expect(posts[0]?.body).toContain(partner);

    // Processing the same stored event again, as a queue redelivery would, owes nothing more.
    const [stored] = await processed(firm.firmId);
    await db().update(webhookEvents).set({ status: "received" }).where(eq(webhookEvents.id, stored!.id));
    const context = { env: parseEnv(testEnv()), db: db(), logger: createLogger(), now: new Date() };
    await processWebhookEvent(context, firm.firmId, stored!.id);
    expect((await processed(firm.firmId))[0]?.status).toBe("processed");

    const afterAgain = (await settledMessages(firm.firmId)).filter((row) => row.kind === "partner_alert");
    expect(afterAgain).toHaveLength(1);
    expect(await fakeRequests(slackPath)).toHaveLength(1);
    expect(await db().select().from(opportunities).where(eq(opportunities.firmId, firm.firmId))).toHaveLength(1);
    expect(await fakeRequests(otherSlackPath)).toHaveLength(0);
  });
});

describe("review API", () => {
  it("unmatched email is listed and filed", async () => {
    const [firm, other] = await seedTwoFirms();
    const integrationId = await seedInbound(firm.firmId, "postmark", TOKEN);
    const { opportunity } = await enquiry(firm, prospect());
    const email = await deliver(firm, integrationId, { from: "stranger@example.net", subject: "Hello" });

    const listed = (await (await callApi("/v1/emails/unmatched", { headers: { authorization: `Bearer ${firm.apiKey}` } })).json()) as { data: Array<{ id: string }> };
    expect(listed.data.map((row) => row.id)).toContain(email!.id);
    const othersList = (await (await callApi("/v1/emails/unmatched", { headers: { authorization: `Bearer ${other.apiKey}` } })).json()) as { data: Array<{ id: string }> };
    expect(othersList.data.map((row) => row.id)).not.toContain(email!.id);

    const file = (apiKey: string, id: string, opportunityId: string) =>
      callApi(`/v1/emails/${id}/file`, {
        method: "POST",
        headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
        body: JSON.stringify({ opportunityId }),
      });
    expect((await file(other.apiKey, email!.id, opportunity.id)).status).toBe(404);

    const filed = await file(firm.apiKey, email!.id, opportunity.id);
    expect(filed.status).toBe(200);
    const row = await emailByMessageId(firm.firmId, email!.messageIdHeader!);
    expect(row?.opportunityId).toBe(opportunity.id);
    expect(row?.matchedBy).toBe("manual");
  });

  it("filed firm reply is the first response", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedInbound(firm.firmId, "postmark", TOKEN);
    const partner = await partnerAddress(firm.firmId);
    const { opportunity } = await enquiry(firm, prospect());

    // Sent to an address Plumbline does not know, so no rule ties it to the enquiry.
    const reply = await deliver(firm, integrationId, { from: partner, to: ["personal.address@example.net"], subject: "Your flat", text: "Dear Pat, happy to help." });
    expect(reply?.direction).toBe("outbound");
    expect(reply?.opportunityId).toBeNull();
    expect((await opportunityRow(firm.firmId, opportunity.id))?.firstResponseAt).toBeNull();

    expect((await fileEmail(firm.apiKey, reply!.id, opportunity.id)).status).toBe(200);
    const answered = await opportunityRow(firm.firmId, opportunity.id);
    expect(answered?.firstResponseAt?.getTime()).toBe((reply!.sentAt ?? reply!.receivedAt).getTime());
    expect(answered?.stage).toBe("in_conversation");
    const tasks = await tasksOf(firm.firmId);
    expect(tasks.find((task) => task.opportunityId === opportunity.id && task.kind === "respond_to_enquiry")?.status).toBe("done");

    const timeline = await db().select().from(activities).where(eq(activities.opportunityId, opportunity.id));
    expect(timeline.filter((entry) => entry.type === "email.filed")).toHaveLength(1);
    expect(timeline.filter((entry) => entry.type === "email.replied")).toHaveLength(0);
    const stageChange = timeline.find((entry) => entry.type === "stage.changed" && entry.data.event === "first_human_reply");
    expect(stageChange?.data.to).toBe("in_conversation");

    expect((await fileEmail(firm.apiKey, reply!.id, opportunity.id)).status).toBe(200);
    const again = await opportunityRow(firm.firmId, opportunity.id);
    expect(again?.firstResponseAt?.getTime()).toBe(answered?.firstResponseAt?.getTime());
    const timelineAgain = await db().select().from(activities).where(eq(activities.opportunityId, opportunity.id));
    expect(timelineAgain).toHaveLength(timeline.length);
  });

  it("filed prospect email moves activity", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedInbound(firm.firmId, "postmark", TOKEN);
    const { opportunity } = await enquiry(firm, prospect());
    const before = (await opportunityRow(firm.firmId, opportunity.id))!;

    // A Date ahead of the clock makes the received time the sent time, which is later than the enquiry.
    const messageId = `<${crypto.randomUUID()}@mail.example.org>`;
    const body = { ...JSON.parse(postmarkBody({ from: "new.address@example.net", subject: "About my flat", messageId })), Date: new Date(Date.now() + 60_000).toUTCString() };
    expect((await sendPostmark(integrationId, JSON.stringify(body))).status).toBe(200);
    await processed(firm.firmId);
    const email = await emailByMessageId(firm.firmId, messageId);
    expect(email?.sentAt?.getTime()).toBe(email?.receivedAt.getTime());
    expect(email?.opportunityId).toBeNull();
    expect(email?.direction).toBe("inbound");

    expect((await fileEmail(firm.apiKey, email!.id, opportunity.id)).status).toBe(200);
    const filedAt = Date.now();
    const after = await opportunityRow(firm.firmId, opportunity.id);
    expect(after?.lastProspectActivityAt?.getTime()).toBe(email!.receivedAt.getTime());
    expect(after!.lastProspectActivityAt!.getTime()).toBeGreaterThan(before.lastProspectActivityAt!.getTime());
    expect(after?.nextStallCheckAt).toBeInstanceOf(Date);
    expect(after!.nextStallCheckAt!.getTime()).toBeLessThanOrEqual(filedAt);
    expect(after?.firstResponseAt).toBeNull();
    expect(after?.stage).toBe(before.stage);
  });

  it("cannot file into another firm's opportunity", async () => {
    const [firm, other] = await seedTwoFirms();
    const otherIntegration = await seedInbound(other.firmId, "postmark", TOKEN);
    const { opportunity } = await enquiry(firm, prospect());
    const email = await deliver(other, otherIntegration, { from: "stranger@example.net", subject: "Hello" });

    const response = await callApi(`/v1/emails/${email!.id}/file`, {
      method: "POST",
      headers: { authorization: `Bearer ${other.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ opportunityId: opportunity.id }),
    });
    expect(response.status).toBe(404);
  });
});

describe("large messages", () => {
  it("1.5 MB Postmark message with attachments", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedInbound(firm.firmId, "postmark", TOKEN);
    const address = prospect();
    const { opportunity, acknowledgement } = await enquiry(firm, address);

    // Random bytes, so the base64 of each file is a string unlikely to turn up in D1 by chance.
    const fileContent = (size: number) => {
      const bytes = crypto.getRandomValues(new Uint8Array(size));
      return btoa(String.fromCharCode(...bytes));
    };
    const attachments = [
      { Name: "engagement-letter.pdf", ContentType: "application/pdf", Content: fileContent(48_000), ContentID: "" },
      { Name: "title-plan.png", ContentType: "image/png", Content: fileContent(24_000), ContentID: "" },
    ];
    const text = `${"Please see the enclosed papers for the sale. ".repeat(34_000)}\n\nOn Wed, 2 Dec 2026 at 16:00, the firm wrote:\n> Thank you.`;
    expect(text.length).toBeGreaterThan(1_500_000);
    const messageId = `<${crypto.randomUUID()}@mail.example.org>`;
    const body = JSON.stringify({
      ...JSON.parse(postmarkBody({ from: address, messageId, text, headers: [["In-Reply-To", acknowledgement.messageIdHeader!]] })),
      Attachments: attachments,
    });

    expect((await sendPostmark(integrationId, body)).status).toBe(200);
    const events = await processed(firm.firmId);
    const email = await emailByMessageId(firm.firmId, messageId);
    expect(email?.opportunityId).toBe(opportunity.id);
    expect(email?.matchedBy).toBe("in_reply_to");
    expect(email?.bodyTruncated).toBe(true);
    expect(email!.bodyText!.length).toBeLessThanOrEqual(100_000);
    expect(email!.bodyText!.endsWith(TRUNCATION_MARKER)).toBe(true);
    expect(email?.replyText?.length).toBeLessThanOrEqual(2_000);
    expect(email?.replyText?.endsWith(TRUNCATION_MARKER)).toBe(true);
    expect(email?.attachments).toEqual([
      { name: "engagement-letter.pdf", type: "application/pdf", size: 48_000 },
      { name: "title-plan.png", type: "image/png", size: 24_000 },
    ]);

    const timeline = await db().select().from(activities).where(eq(activities.opportunityId, opportunity.id));
    const received = timeline.find((entry) => entry.type === "email.received");
    expect(String(received?.data.replyText).endsWith(TRUNCATION_MARKER)).toBe(true);

    const stored = events.find((event) => event.provider === "postmark-inbound");
    expect(stored?.status).toBe("processed");
    const rows = [JSON.stringify(email), JSON.stringify(timeline), ...events.map((event) => JSON.stringify(event))];
    for (const attachment of attachments) {
      const sample = attachment.Content.slice(1_000, 1_200);
      for (const row of rows) expect(row.includes(sample)).toBe(false);
    }
  });
});

describe("security", () => {
  it("bad Postmark token is 401", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedInbound(firm.firmId, "postmark", TOKEN);
    const body = postmarkBody({ from: "x@example.net" });
    expect((await sendPostmark(integrationId, body, null)).status).toBe(401);
    expect((await sendPostmark(integrationId, body, "wrong-token")).status).toBe(401);
    expect(await db().select().from(webhookEvents).where(eq(webhookEvents.firmId, firm.firmId))).toHaveLength(0);
  });

  it("repeat delivery returns duplicate", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedInbound(firm.firmId, "postmark", TOKEN);
    const body = postmarkBody({ from: "repeat@example.net" });
    expect((await sendPostmark(integrationId, body)).status).toBe(200);
    const again = await sendPostmark(integrationId, body);
    expect(again.status).toBe(200);
    expect(((await again.json()) as { status: string }).status).toBe("duplicate");
    await processed(firm.firmId);
    expect(await emailsOf(firm.firmId)).toHaveLength(1);
  });

  it("firm B cannot file into firm A by reply token", async () => {
    const [firm, other] = await seedTwoFirms();
    const otherIntegration = await seedInbound(other.firmId, "postmark", TOKEN);
    const { opportunity } = await enquiry(firm, prospect());
    const email = await deliver(other, otherIntegration, { from: "x@example.net", to: [`reply+${opportunity.replyToken}@${INBOUND_DOMAIN}`], subject: `Re ${opportunity.reference}` });
    expect(email?.opportunityId).toBeNull();
    expect(await emailsOf(firm.firmId)).toHaveLength(0);
  });

  it("another firm's integration rejects this token", async () => {
    const [firm, other] = await seedTwoFirms();
    await seedInbound(firm.firmId, "postmark", TOKEN);
    const otherIntegration = await seedInbound(other.firmId, "postmark", "other-firm-token-0123456789");
    expect((await sendPostmark(otherIntegration, postmarkBody({ from: "x@example.net" }))).status).toBe(401);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// SendGrid and Mailgun

function multipart(boundary: string, fields: Array<[string, Uint8Array | string]>): Uint8Array {
  const chunks: Uint8Array[] = [];
  for (const [name, value] of fields) {
    chunks.push(encoder.encode(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n`));
    chunks.push(typeof value === "string" ? encoder.encode(value) : value);
    chunks.push(encoder.encode("\r\n"));
  }
  chunks.push(encoder.encode(`--${boundary}--\r\n`));
  const body = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.length;
  }
  return body;
}

/** Encodes text as ISO-8859-1 bytes; every character here is below U+0100. */
function latin1(text: string): Uint8Array {
  return Uint8Array.from(text, (character) => character.charCodeAt(0));
}

describe("SendGrid Inbound Parse", () => {
  it("decodes ISO-8859-1 fields", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedInbound(firm.firmId, "sendgrid", TOKEN);
    const { opportunity } = await enquiry(firm, prospect());
    const messageId = `<${crypto.randomUUID()}@mail.example.org>`;
    const boundary = "xYzZY";
    const body = multipart(boundary, [
      ["headers", `From: Renee <renee@example.org>\r\nTo: reply+${opportunity.replyToken}@${INBOUND_DOMAIN}\r\nMessage-ID: ${messageId}\r\nSubject: =?iso-8859-1?Q?R=E9ponse?=`],
      ["from", "Renee <renee@example.org>"],
      ["to", `reply+${opportunity.replyToken}@${INBOUND_DOMAIN}`],
      ["subject", latin1("Réponse à votre demande")],
      ["text", latin1("Très bien, merci. À jeudi.")],
      ["charsets", JSON.stringify({ subject: "iso-8859-1", text: "iso-8859-1", from: "UTF-8", to: "UTF-8", headers: "UTF-8" })],
    ]);

    const send = (token: string) =>
      callApi(`/v1/inbound/sendgrid/${integrationId}?token=${token}`, { method: "POST", headers: { "content-type": `multipart/form-data; boundary=${boundary}` }, body });
    expect((await send("wrong")).status).toBe(401);
    expect((await send(TOKEN)).status).toBe(200);
    await processed(firm.firmId);

    const email = await emailByMessageId(firm.firmId, messageId);
    expect(email?.subject).toBe("Réponse à votre demande");
    expect(email?.bodyText).toBe("Très bien, merci. À jeudi.");
    expect(email?.matchedBy).toBe("reply_token");
  });

  /** Builds a SendGrid post sent to a mailing list, with `envelopeTo` as the SMTP recipients when given. */
  function listMessage(messageId: string, envelopeTo: string[] | null) {
    const list = "property-team@lists.example.net";
    return multipart("xYzZY", [
      ["headers", `From: Colin Colleague <colin@example.net>\r\nTo: ${list}\r\nMessage-ID: ${messageId}\r\nSubject: Notes from the viewing`],
      ["from", "Colin Colleague <colin@example.net>"],
      ["to", list],
      ["subject", "Notes from the viewing"],
      ["text", "The survey is booked for Tuesday."],
      ...(envelopeTo ? [["envelope", JSON.stringify({ to: envelopeTo, from: "colin@example.net" })] as [string, string]] : []),
    ]);
  }

  function sendSendGrid(integrationId: string, body: Uint8Array) {
    return callApi(`/v1/inbound/sendgrid/${integrationId}?token=${TOKEN}`, { method: "POST", headers: { "content-type": "multipart/form-data; boundary=xYzZY" }, body });
  }

  it("matches a reply token in the envelope only", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedInbound(firm.firmId, "sendgrid", TOKEN);
    const { opportunity } = await enquiry(firm, prospect());
    const messageId = `<${crypto.randomUUID()}@mail.example.net>`;

    const recipients = ["property-team@lists.example.net", `reply+${opportunity.replyToken}@${INBOUND_DOMAIN}`];
    expect((await sendSendGrid(integrationId, listMessage(messageId, recipients))).status).toBe(200);
    await processed(firm.firmId);

    const email = await emailByMessageId(firm.firmId, messageId);
    expect(email?.opportunityId).toBe(opportunity.id);
    expect(email?.matchedBy).toBe("reply_token");
    expect(email?.toEmails).toEqual(["property-team@lists.example.net"]);
  });

  it("without the envelope stays unmatched", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedInbound(firm.firmId, "sendgrid", TOKEN);
    await enquiry(firm, prospect());
    const messageId = `<${crypto.randomUUID()}@mail.example.net>`;

    expect((await sendSendGrid(integrationId, listMessage(messageId, null))).status).toBe(200);
    await processed(firm.firmId);
    const email = await emailByMessageId(firm.firmId, messageId);
    expect(email).toBeDefined();
    expect(email?.opportunityId).toBeNull();
  });

  it("ignores another firm's token in the envelope", async () => {
    const [firm, other] = await seedTwoFirms();
    const otherIntegration = await seedInbound(other.firmId, "sendgrid", TOKEN);
    const { opportunity } = await enquiry(firm, prospect());
    const messageId = `<${crypto.randomUUID()}@mail.example.net>`;

    const recipients = [`reply+${opportunity.replyToken}@${INBOUND_DOMAIN}`];
    expect((await sendSendGrid(otherIntegration, listMessage(messageId, recipients))).status).toBe(200);
    await processed(other.firmId);
    const email = await emailByMessageId(other.firmId, messageId);
    expect(email?.opportunityId).toBeNull();
    expect(await emailsOf(firm.firmId)).toHaveLength(0);
  });
});

async function mailgunSignature(timestamp: string, token: string, key = MAILGUN_KEY): Promise<string> {
  const cryptoKey = await crypto.subtle.importKey("raw", encoder.encode(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const signature = await crypto.subtle.sign("HMAC", cryptoKey, encoder.encode(`${timestamp}${token}`));
  return [...new Uint8Array(signature)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

describe("Mailgun route", () => {
  it("checks signature and rejects replayed tokens", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedInbound(firm.firmId, "mailgun", MAILGUN_KEY);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const token = crypto.randomUUID().replace(/-/g, "");
    const form = async (messageId: string, signature?: string) =>
      new URLSearchParams({
        recipient: `firm+x@${INBOUND_DOMAIN}`,
        from: "Mia <mia@example.org>",
        subject: "Question",
        "body-plain": "Hello there",
        "message-headers": JSON.stringify([["Message-Id", messageId]]),
        timestamp,
        token,
        signature: signature ?? (await mailgunSignature(timestamp, token)),
      });
    const send = (body: URLSearchParams) => callApi(`/v1/inbound/mailgun/${integrationId}`, { method: "POST", body });

    expect((await send(await form("<m1@example.org>", "0".repeat(64)))).status).toBe(401);
    expect((await send(await form("<m1@example.org>", await mailgunSignature(timestamp, token, "wrong-key-0123456789")))).status).toBe(401);
    expect((await send(await form("<m1@example.org>"))).status).toBe(200);
    const repeat = await send(await form("<m1@example.org>"));
    expect(repeat.status).toBe(200);
    expect(((await repeat.json()) as { status: string }).status).toBe("duplicate");
    expect((await send(await form("<m2@example.org>"))).status).toBe(401);
    await processed(firm.firmId);
    const email = await emailByMessageId(firm.firmId, "<m1@example.org>");
    expect(email?.source).toBe("mailgun");
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Cloudflare Email Worker

function incomingEmail(raw: string, to: string) {
  const bytes = encoder.encode(raw);
  const rejections: string[] = [];
  const message = {
    from: "prospect@example.org",
    to,
    headers: new Headers(raw.split("\r\n\r\n")[0]!.split("\r\n").map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 1).trim()] as [string, string])),
    raw: new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes);
        controller.close();
      },
    }),
    rawSize: bytes.length,
    setReject: (reason: string) => {
      rejections.push(reason);
    },
    forward: async () => ({ messageId: "" }),
    reply: async () => ({ messageId: "" }),
  };
  return { message: message as unknown as ForwardableEmailMessage, rejections };
}

async function callEmail(message: ForwardableEmailMessage) {
  const ctx = createExecutionContext();
  await worker.email(message, testEnv(), ctx);
  await waitOnExecutionContext(ctx);
}

describe("Email Worker handler", () => {
  it("decodes encoded-word subject and ISO-8859-1 body", async () => {
    const [firm] = await seedTwoFirms();
    const address = prospect();
    const { opportunity } = await enquiry(firm, address);
    const recipient = `reply+${opportunity.replyToken}@${INBOUND_DOMAIN}`;
    const messageId = crypto.randomUUID();
    const raw = latin1Reply.replace("{{FROM}}", address).replace("{{TO}}", recipient).replace("{{MESSAGE_ID}}", messageId);

    const { message, rejections } = incomingEmail(raw, recipient);
    await callEmail(message);
    expect(rejections).toEqual([]);
    await processed(firm.firmId);

    const email = await emailByMessageId(firm.firmId, `<${messageId}@mail.example.org>`);
    expect(email?.subject).toBe("Re: Votre demande - réponse");
    expect(email?.fromName).toBe("Renée Prospect");
    expect(email?.bodyText).toContain("Je préfère un rendez-vous jeudi après-midi.");
    expect(email?.opportunityId).toBe(opportunity.id);
    expect(email?.source).toBe("email-worker");
  });

  it("files firm capture address mail", async () => {
    const [firm] = await seedTwoFirms();
    const { slug } = (await db().select({ slug: firms.slug }).from(firms).where(eq(firms.id, firm.firmId)).get())!;
    const recipient = `firm+${slug}@${INBOUND_DOMAIN}`;
    const messageId = crypto.randomUUID();
    const raw = latin1Reply.replace("{{FROM}}", "stranger@example.net").replace("{{TO}}", recipient).replace("{{MESSAGE_ID}}", messageId);

    const { message, rejections } = incomingEmail(raw, recipient);
    await callEmail(message);
    expect(rejections).toEqual([]);
    await processed(firm.firmId);
    const email = await emailByMessageId(firm.firmId, `<${messageId}@mail.example.org>`);
    expect(email?.opportunityId).toBeNull();

    const again = incomingEmail(raw, recipient);
    await callEmail(again.message);
    await processed(firm.firmId);
    expect(await emailsOf(firm.firmId)).toHaveLength(1);
  });

  it("rejects an unknown recipient", async () => {
    const { message, rejections } = incomingEmail(latin1Reply, `reply+nosuchtoken@${INBOUND_DOMAIN}`);
    await callEmail(message);
    expect(rejections).toHaveLength(1);
  });

  it("rejects an oversized message", async () => {
    const [firm] = await seedTwoFirms();
    const { message, rejections } = incomingEmail(latin1Reply, `firm+x@${INBOUND_DOMAIN}`);
    Object.assign(message, { rawSize: 50 * 1024 * 1024 });
    await callEmail(message);
    expect(rejections[0]).toContain("too large");
    expect(await emailsOf(firm.firmId)).toHaveLength(0);
  });
});
