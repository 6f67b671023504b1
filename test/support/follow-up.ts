import { newId } from "@plumbline/core";
import { firms, integrations, memberships, outboundMessages, routingRules, tasks, teamMembers, teams, users } from "@plumbline/db";
import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { encryptSecret } from "../../apps/api/src/lib/crypto";
import { testDatabase } from "./seed";

/** Adds people to a firm; returns their user ids in order. `away` marks a person away for a week. */
export async function seedPeople(firmId: string, people: Array<{ name: string; away?: boolean }>): Promise<string[]> {
  const db = testDatabase();
  const now = new Date();
  const ids: string[] = [];
  for (const person of people) {
    const id = newId("user");
    ids.push(id);
    await db.batch([
      db.insert(users).values({ id, email: `${id}@firm.example`, name: person.name, createdAt: now }),
      db.insert(memberships).values({
        firmId,
        userId: id,
        role: "partner",
        awayUntil: person.away ? new Date(now.getTime() + 7 * 86_400_000) : null,
        createdAt: now,
      }),
    ]);
  }
  return ids;
}

export async function seedTeam(firmId: string, name: string, memberIds: string[], chatIntegrationId: string | null = null): Promise<string> {
  const db = testDatabase();
  const id = newId("team");
  await db.insert(teams).values({ id, firmId, name, chatIntegrationId, createdAt: new Date() });
  for (const [position, userId] of memberIds.entries()) {
    await db.insert(teamMembers).values({ firmId, teamId: id, userId, position });
  }
  return id;
}

export async function seedRule(firmId: string, position: number, serviceLine: string | null, target: { userId?: string; teamId?: string }) {
  await testDatabase()
    .insert(routingRules)
    .values({
      id: newId("rule"),
      firmId,
      position,
      serviceLine,
      targetUserId: target.userId ?? null,
      targetTeamId: target.teamId ?? null,
      createdAt: new Date(),
    });
}

export async function updateFirm(firmId: string, values: Partial<typeof firms.$inferInsert>) {
  await testDatabase().update(firms).set(values).where(eq(firms.id, firmId));
}

/** Adds a mail or chat integration whose secret selects the fake's behaviour (`ok`, `bad`, `down` …). */
export async function seedIntegration(
  firmId: string,
  kind: "mail" | "chat" | "booking" | "mail_events" | "inbound_mail",
  provider: string,
  secret: string,
  settings: Record<string, string> = {},
): Promise<string> {
  const id = newId("int");
  const now = new Date();
  await testDatabase()
    .insert(integrations)
    .values({
      id,
      firmId,
      kind,
      provider,
      name: `${provider} test`,
      settings,
      secretEncrypted: await encryptSecret(env.ENCRYPTION_KEY, secret),
      isDefault: true,
      createdAt: now,
      updatedAt: now,
    });
  return id;
}

export async function tasksOf(firmId: string) {
  return testDatabase().select().from(tasks).where(eq(tasks.firmId, firmId));
}

export async function integrationOf(firmId: string, id: string) {
  return testDatabase()
    .select()
    .from(integrations)
    .where(and(eq(integrations.firmId, firmId), eq(integrations.id, id)))
    .get();
}

/** Waits until every outbound message of the firm has left `pending`/`sending`, or the time runs out. */
export async function settledMessages(firmId: string, timeoutMs = 8000) {
  const db = testDatabase();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await db.select().from(outboundMessages).where(eq(outboundMessages.firmId, firmId));
    const open = rows.filter((row) => row.status === "pending" || row.status === "sending");
    if (open.length === 0 || Date.now() > deadline) return rows;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
