import { contacts, opportunities, outboundMessages, submissions } from "@plumbline/db";
import { eq } from "drizzle-orm";
import { testDatabase } from "./seed";

/** Counts of what one firm has stored, read straight from D1 to check what a request wrote. */
export async function storedCounts(firmId: string) {
  const db = testDatabase();
  const count = async (table: typeof contacts | typeof opportunities | typeof outboundMessages | typeof submissions) =>
    (await db.select({ firmId: table.firmId }).from(table).where(eq(table.firmId, firmId))).length;
  return {
    contacts: await count(contacts),
    opportunities: await count(opportunities),
    messages: await count(outboundMessages),
    submissions: await count(submissions),
  };
}

export async function contactsOf(firmId: string) {
  return testDatabase().select().from(contacts).where(eq(contacts.firmId, firmId));
}

export async function submissionsOf(firmId: string) {
  return testDatabase().select().from(submissions).where(eq(submissions.firmId, firmId));
}

export async function messagesOf(firmId: string) {
  return testDatabase().select().from(outboundMessages).where(eq(outboundMessages.firmId, firmId));
}

export async function opportunitiesOf(firmId: string) {
  return testDatabase().select().from(opportunities).where(eq(opportunities.firmId, firmId));
}
