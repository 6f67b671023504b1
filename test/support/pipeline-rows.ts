import { newId } from "@plumbline/core";
import { contacts, opportunities, outboundMessages, tasks } from "@plumbline/db";
import { testDatabase } from "./seed";

export interface OpportunityShape {
  stage?: string;
  ownerUserId?: string | null;
  serviceLine?: string | null;
  channel?: string;
  stalled?: boolean;
  contactName?: string;
  /** Milliseconds since the epoch; rows made in one test get distinct times so their order is known. */
  createdAt?: number;
}

let clock = Date.UTC(2026, 0, 5, 9, 0, 0);

/**
 * Inserts a contact and its opportunity straight into D1, with the fields the pipeline filters read. Quicker and
 * more exact than sending enquiries when a test needs owners, service lines and stalls in a known mix.
 */
export async function insertOpportunity(firmId: string, shape: OpportunityShape = {}): Promise<{ id: string; contactId: string }> {
  const db = testDatabase();
  const at = new Date(shape.createdAt ?? (clock += 1000));
  const contactId = newId("con");
  const id = newId("opp");
  const name = shape.contactName ?? `Prospect ${id.slice(-6)}`;
  await db.batch([
    db.insert(contacts).values({
      id: contactId,
      firmId,
      name,
      email: `${id.slice(-8).toLowerCase()}@prospect.example`,
      emailNormalised: `${id.slice(-8).toLowerCase()}@prospect.example`,
      createdAt: at,
      updatedAt: at,
    }),
    db.insert(opportunities).values({
      id,
      firmId,
      contactId,
      reference: `ENQ-${id.slice(-9).toUpperCase()}`,
      stage: shape.stage ?? "new",
      serviceLine: shape.serviceLine ?? null,
      ownerUserId: shape.ownerUserId ?? null,
      currency: "GBP",
      origin: "web_form",
      channel: shape.channel ?? "direct",
      lastTouchChannel: shape.channel ?? "direct",
      attribution: { firstTouch: {}, lastTouch: {}, firstTouchReason: "no referrer", lastTouchReason: "no referrer" },
      createdAt: at,
      updatedAt: at,
      lastActivityAt: at,
      stalledAt: shape.stalled ? at : null,
      stalledReason: shape.stalled ? "No reply for 5 working days" : null,
    }),
  ]);
  return { id, contactId };
}

/** Inserts an open task on an opportunity, due `dueInHours` from the fixed test clock. */
export async function insertTask(firmId: string, opportunityId: string, dueInHours = 1): Promise<string> {
  const id = newId("task");
  const now = new Date(Date.UTC(2026, 0, 5, 9, 0, 0));
  await testDatabase()
    .insert(tasks)
    .values({
      id,
      firmId,
      opportunityId,
      kind: "respond",
      title: "Respond to the enquiry",
      status: "open",
      dueAt: new Date(now.getTime() + dueInHours * 3_600_000),
      createdAt: now,
      updatedAt: now,
    });
  return id;
}

/** Inserts a failed acknowledgement email for an opportunity. */
export async function insertFailedMessage(firmId: string, opportunityId: string): Promise<string> {
  const id = newId("msg");
  const now = new Date(clock += 1000);
  await testDatabase()
    .insert(outboundMessages)
    .values({
      id,
      firmId,
      opportunityId,
      kind: "acknowledgement_email",
      channel: "email",
      status: "failed",
      statusReason: "provider rejected",
      attempts: 3,
      data: {},
      createdAt: now,
      updatedAt: now,
    });
  return id;
}
