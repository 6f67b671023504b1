import { activities, contacts, meetings, opportunities, opportunityTouches, outboundMessages, webhookEvents } from "@plumbline/db";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { callApi, submitJson } from "../support/api";
import { seedIntegration, seedPeople, seedRule, seedTeam, settledMessages, updateFirm } from "../support/follow-up";
import { seedTwoFirms, testDatabase } from "../support/seed";
import calcomCancelled from "../fixtures/booking/calcom-booking-cancelled.json";
import calcomCreated from "../fixtures/booking/calcom-booking-created.json";
import calendlyCanceledRescheduled from "../fixtures/booking/calendly-invitee-canceled-rescheduled.json";
import calendlyCreated from "../fixtures/booking/calendly-invitee-created.json";
import calendlyCreatedRescheduled from "../fixtures/booking/calendly-invitee-created-rescheduled.json";

const SECRET = "booking-signing-secret-0123456789";
const encoder = new TextEncoder();

async function hmacHex(key: string, message: string): Promise<string> {
  const cryptoKey = await crypto.subtle.importKey("raw", encoder.encode(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const signature = await crypto.subtle.sign("HMAC", cryptoKey, encoder.encode(message));
  return [...new Uint8Array(signature)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Makes a fixture unique to one test: its ids and the attendee's address, since event ids are global. */
function personalise(fixture: unknown, tag: string, email: string): string {
  return JSON.stringify(fixture)
    .replace(/INV000(\d)/g, `INV${tag}$1`)
    .replace(/EV000(\d)/g, `EV${tag}$1`)
    .replace(/bFJeNb2uX8ANpT3JL5Ef00/g, `uid${tag}`)
    .replace(/jane@example\.org/g, email);
}

async function sendCalcom(integrationId: string, body: string, signature?: string) {
  return callApi(`/v1/webhooks/calcom/${integrationId}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-cal-signature-256": signature ?? (await hmacHex(SECRET, body)) },
    body,
  });
}

async function sendCalendly(integrationId: string, body: string, at = Math.floor(Date.now() / 1000), key = SECRET) {
  const signature = `t=${at},v1=${await hmacHex(key, `${at}.${body}`)}`;
  return callApi(`/v1/webhooks/calendly/${integrationId}`, {
    method: "POST",
    headers: { "content-type": "application/json", "calendly-webhook-signature": signature },
    body,
  });
}

/** Waits for the queue consumer to process every stored webhook of the firm. */
async function processed(firmId: string, timeoutMs = 8000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await testDatabase().select().from(webhookEvents).where(eq(webhookEvents.firmId, firmId));
    if (rows.every((row) => row.status !== "received") || Date.now() > deadline) return rows;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const db = () => testDatabase();
const meetingsOf = (firmId: string) => db().select().from(meetings).where(eq(meetings.firmId, firmId));
const opportunitiesOf = (firmId: string) => db().select().from(opportunities).where(eq(opportunities.firmId, firmId));
const timelineTypes = async (firmId: string) =>
  (await db().select().from(activities).where(eq(activities.firmId, firmId))).map((entry) => entry.type);

describe("Cal.com webhooks", () => {
  it("booking creates contact, opportunity and meeting", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedIntegration(firm.firmId, "booking", "calcom", SECRET);
    const response = await sendCalcom(integrationId, personalise(calcomCreated, "c1", "new.booker@example.org"));
    expect(response.status).toBe(200);
    await processed(firm.firmId);

    const [opportunity] = await opportunitiesOf(firm.firmId);
    expect(opportunity?.origin).toBe("booking");
    expect(opportunity?.stage).toBe("meeting_booked");
    const [meeting] = await meetingsOf(firm.firmId);
    expect(meeting?.status).toBe("booked");
    expect(await timelineTypes(firm.firmId)).toContain("meeting.booked");
  });

  it("booking opportunity follows routing rules", async () => {
    const [firm] = await seedTwoFirms();
    const [ann, bob] = await seedPeople(firm.firmId, [{ name: "Ann Anyline" }, { name: "Bob Fallback" }]);
    const team = await seedTeam(firm.firmId, "Everyone", [ann!]);
    await seedRule(firm.firmId, 1, "family-law", { userId: bob! });
    await seedRule(firm.firmId, 2, null, { teamId: team });
    await updateFirm(firm.firmId, { fallbackOwnerUserId: bob! });
    const integrationId = await seedIntegration(firm.firmId, "booking", "calcom", SECRET);

    await sendCalcom(integrationId, personalise(calcomCreated, "r1", "routed.booker@example.org"));
    await processed(firm.firmId);

    // A booking carries no service line, so the service-line rule is skipped and the any-line team rule applies.
    const [opportunity] = await opportunitiesOf(firm.firmId);
    expect(opportunity?.ownerUserId).toBe(ann);
  });

  it("unrouted booking goes to fallback owner", async () => {
    const [firm] = await seedTwoFirms();
    const [fallback] = await seedPeople(firm.firmId, [{ name: "Fiona Fallback" }]);
    await updateFirm(firm.firmId, { fallbackOwnerUserId: fallback! });
    const integrationId = await seedIntegration(firm.firmId, "booking", "calcom", SECRET);

    await sendCalcom(integrationId, personalise(calcomCreated, "r2", "fallback.booker@example.org"));
    await processed(firm.firmId);

    const [opportunity] = await opportunitiesOf(firm.firmId);
    expect(opportunity?.ownerUserId).toBe(fallback);
  });

  it("meeting notice links to the firm's opportunity page", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedIntegration(firm.firmId, "booking", "calcom", SECRET);
    await sendCalcom(integrationId, personalise(calcomCreated, "l1", "linked.booker@example.org"));
    await processed(firm.firmId);

    const notice = (await settledMessages(firm.firmId)).find((row) => row.kind === "meeting_notice");
    const [opportunity] = await opportunitiesOf(firm.firmId);
    const rendered = (notice?.data as { rendered?: { link?: { url: string } } }).rendered;
    expect(rendered?.link?.url).toBe(`http://localhost:5173/firms/${firm.firmId}/opportunities/${opportunity!.id}`);
  });

  it("bad or missing signature is 401 and stores nothing", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedIntegration(firm.firmId, "booking", "calcom", SECRET);
    const body = personalise(calcomCreated, "c2", "sig@example.org");
    for (const signature of ["", "zz-not-hex", "0".repeat(64), await hmacHex("wrong-secret-0123456789", body)]) {
      const response = await sendCalcom(integrationId, body, signature);
      expect(response.status, signature).toBe(401);
    }
    expect(await db().select().from(webhookEvents).where(eq(webhookEvents.firmId, firm.firmId))).toHaveLength(0);
  });

  it("repeat delivery changes nothing", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedIntegration(firm.firmId, "booking", "calcom", SECRET);
    const body = personalise(calcomCreated, "c3", "repeat.booker@example.org");
    await sendCalcom(integrationId, body);
    const again = await sendCalcom(integrationId, body);
    expect(again.status).toBe(200);
    expect(((await again.json()) as { status: string }).status).toBe("duplicate");
    await processed(firm.firmId);
    expect(await meetingsOf(firm.firmId)).toHaveLength(1);
  });

  it("cancellation returns the opportunity to its stage", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedIntegration(firm.firmId, "booking", "calcom", SECRET);
    await sendCalcom(integrationId, personalise(calcomCreated, "c4", "cancel.booker@example.org"));
    await processed(firm.firmId);
    await sendCalcom(integrationId, personalise(calcomCancelled, "c4", "cancel.booker@example.org"));
    await processed(firm.firmId);

    const [opportunity] = await opportunitiesOf(firm.firmId);
    expect(opportunity?.stage).toBe("new");
    const [meeting] = await meetingsOf(firm.firmId);
    expect(meeting?.status).toBe("cancelled");
  });

  it("another firm's integration URL rejects this firm's secret", async () => {
    const [firm, other] = await seedTwoFirms();
    await seedIntegration(firm.firmId, "booking", "calcom", SECRET);
    const otherIntegration = await seedIntegration(other.firmId, "booking", "calcom", "another-secret-0123456789");
    const response = await sendCalcom(otherIntegration, personalise(calcomCreated, "c5", "x@example.org"));
    expect(response.status).toBe(401);
  });
});

describe("Calendly webhooks", () => {
  it("stale or future timestamps are 401", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedIntegration(firm.firmId, "booking", "calendly", SECRET);
    const body = personalise(calendlyCreated, "s1", "stale@example.org");
    const now = Math.floor(Date.now() / 1000);
    expect((await sendCalendly(integrationId, body, now - 3600)).status).toBe(401);
    expect((await sendCalendly(integrationId, body, now + 3600)).status).toBe(401);
    expect((await sendCalendly(integrationId, body, now)).status).toBe(200);
  });

  for (const order of ["cancel first", "create first"]) {
    it(`reschedule is one meeting, ${order}`, async () => {
      const [firm] = await seedTwoFirms();
      const integrationId = await seedIntegration(firm.firmId, "booking", "calendly", SECRET);
      const tag = order === "cancel first" ? "r1" : "r2";
      const email = `resched.${tag}@example.org`;
      await sendCalendly(integrationId, personalise(calendlyCreated, tag, email));
      await processed(firm.firmId);

      const halves = [personalise(calendlyCanceledRescheduled, tag, email), personalise(calendlyCreatedRescheduled, tag, email)];
      if (order === "create first") halves.reverse();
      for (const half of halves) {
        await sendCalendly(integrationId, half);
        await processed(firm.firmId);
      }

      const rows = await meetingsOf(firm.firmId);
      expect(rows).toHaveLength(1);
      expect(rows[0]?.status).toBe("booked");
      expect(rows[0]?.meetingKey).toContain(`INV${tag}2`);
      const types = await timelineTypes(firm.firmId);
      expect(types.filter((type) => type === "meeting.rescheduled")).toHaveLength(1);
      expect(types).not.toContain("meeting.cancelled");
      const [opportunity] = await opportunitiesOf(firm.firmId);
      expect(opportunity?.stage).toBe("meeting_booked");
      const notices = (await db().select().from(outboundMessages).where(eq(outboundMessages.firmId, firm.firmId))).filter(
        (row) => row.kind === "meeting_notice",
      );
      expect(notices.map((row) => (row.data as { change: string }).change).sort()).toEqual(["booked", "rescheduled"]);
    });
  }

  it("booking and form at once give one contact", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedIntegration(firm.firmId, "booking", "calendly", SECRET);
    const email = "both.ways@example.org";
    await Promise.all([
      sendCalendly(integrationId, personalise(calendlyCreated, "b1", email)),
      submitJson(firm.formKey, { fields: { name: "Both Ways", email } }),
    ]);
    await processed(firm.firmId);
    const found = await db().select().from(contacts).where(and(eq(contacts.firmId, firm.firmId), eq(contacts.emailNormalised, email)));
    expect(found).toHaveLength(1);
  });

  it("UTM values from the booking set the channel", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedIntegration(firm.firmId, "booking", "calendly", SECRET);
    await sendCalendly(integrationId, personalise(calendlyCreated, "u1", "utm.booker@example.org"));
    await processed(firm.firmId);
    const [opportunity] = await opportunitiesOf(firm.firmId);
    expect(opportunity?.channel).toBe("email");
    expect(opportunity?.utmSource).toBe("newsletter");
  });

  it("later booking without campaign adds no touch", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedIntegration(firm.firmId, "booking", "calcom", SECRET);
    const email = "plain.booker@example.org";
    expect((await submitJson(firm.formKey, { fields: { name: "Plain Booker", email } })).status).toBe(201);
    await sendCalcom(integrationId, personalise(calcomCreated, "pt", email));
    await processed(firm.firmId);

    const touches = await db().select().from(opportunityTouches).where(eq(opportunityTouches.firmId, firm.firmId));
    expect(touches.map((touch) => touch.kind)).toEqual(["enquiry"]);
  });

  it("later booking with campaign adds a touch", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedIntegration(firm.firmId, "booking", "calendly", SECRET);
    const email = "campaign.booker@example.org";
    expect((await submitJson(firm.formKey, { fields: { name: "Campaign Booker", email } })).status).toBe(201);
    await sendCalendly(integrationId, personalise(calendlyCreated, "ct", email));
    await processed(firm.firmId);

    const touches = await db().select().from(opportunityTouches).where(eq(opportunityTouches.firmId, firm.firmId));
    expect(touches.map((touch) => touch.kind).sort()).toEqual(["booking", "enquiry"]);
    expect(touches.find((touch) => touch.kind === "booking")?.channel).toBe("email");
  });

  it("signing secret is stored encrypted", async () => {
    const [firm] = await seedTwoFirms();
    const integrationId = await seedIntegration(firm.firmId, "booking", "calendly", SECRET);
    const row = await db().query.integrations.findFirst({ where: (table, { eq: equal }) => equal(table.id, integrationId) });
    expect(row?.secretEncrypted).not.toContain(SECRET);
  });
});

describe("Cal.com reschedule and host requests", () => {
  it("reschedule keeps one meeting", async () => {
    const { default: rescheduled } = await import("../fixtures/booking/calcom-booking-rescheduled.json");
    const [firm] = await seedTwoFirms();
    const integrationId = await seedIntegration(firm.firmId, "booking", "calcom", SECRET);
    const email = "calcom.resched@example.org";
    await sendCalcom(integrationId, personalise(calcomCreated, "cr", email));
    await processed(firm.firmId);
    const body = personalise(rescheduled, "cr", email);
    const response = await sendCalcom(integrationId, body);
    expect(response.status).toBe(200);
    await processed(firm.firmId);

    const rows = await meetingsOf(firm.firmId);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.status).toBe("booked");
    const types = await timelineTypes(firm.firmId);
    expect(types.filter((type) => type === "meeting.rescheduled")).toHaveLength(1);
  });

  it("host reschedule request returns the stage", async () => {
    const { default: requested } = await import("../fixtures/booking/calcom-booking-request-reschedule.json");
    const [firm] = await seedTwoFirms();
    const integrationId = await seedIntegration(firm.firmId, "booking", "calcom", SECRET);
    const email = "calcom.request@example.org";
    await sendCalcom(integrationId, personalise(calcomCreated, "rq", email));
    await processed(firm.firmId);
    await sendCalcom(integrationId, personalise(requested, "rq", email));
    await processed(firm.firmId);

    const [meeting] = await meetingsOf(firm.firmId);
    expect(meeting?.status).toBe("cancelled");
    expect(await timelineTypes(firm.firmId)).toContain("meeting.reschedule_requested");
    const [opportunity] = await opportunitiesOf(firm.firmId);
    expect(opportunity?.stage).toBe("new");
  });
});
