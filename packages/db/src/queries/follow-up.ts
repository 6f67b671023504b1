import { and, eq } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import type { Database } from "../client";
import { contacts, emailTemplates, firms, opportunities, tasks, users } from "../schema";

/** Everything an acknowledgement email or partner alert about one opportunity is built from. */
export async function loadOpportunityContext(db: Database, firmId: string, opportunityId: string) {
  const owner = alias(users, "owner");
  const row = await db
    .select({ opportunity: opportunities, contact: contacts, firm: firms, ownerName: owner.name, ownerEmail: owner.email })
    .from(opportunities)
    .innerJoin(contacts, and(eq(contacts.id, opportunities.contactId), eq(contacts.firmId, opportunities.firmId)))
    .innerJoin(firms, eq(firms.id, opportunities.firmId))
    .leftJoin(owner, eq(owner.id, opportunities.ownerUserId))
    .where(and(eq(opportunities.firmId, firmId), eq(opportunities.id, opportunityId)))
    .get();
  return row ?? null;
}

export type OpportunityContext = NonNullable<Awaited<ReturnType<typeof loadOpportunityContext>>>;

export async function findEmailTemplate(db: Database, firmId: string, kind: string) {
  return (
    (await db
      .select()
      .from(emailTemplates)
      .where(and(eq(emailTemplates.firmId, firmId), eq(emailTemplates.kind, kind)))
      .get()) ?? null
  );
}

export async function findUser(db: Database, userId: string) {
  return (await db.select().from(users).where(eq(users.id, userId)).get()) ?? null;
}

export async function findTask(db: Database, firmId: string, taskId: string) {
  return (await db.select().from(tasks).where(and(eq(tasks.firmId, firmId), eq(tasks.id, taskId))).get()) ?? null;
}

export async function findFirmById(db: Database, firmId: string) {
  return (await db.select().from(firms).where(eq(firms.id, firmId)).get()) ?? null;
}
