import { and, eq, isNull, ne, or, sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Database } from "../client";
import { activities, firms, memberships, opportunities, routingRules, tasks, teamMembers, type FirmRole } from "../schema";

/**
 * D1 binds at most 100 parameters per statement, and a timeline row binds 11, so this many rows go in one INSERT.
 */
const ACTIVITY_ROWS_PER_INSERT = 8;

export async function countFirmOwners(db: Database, firmId: string): Promise<number> {
  const row = await db
    .select({ count: sql<number>`count(*)` })
    .from(memberships)
    .where(and(eq(memberships.firmId, firmId), eq(memberships.role, "owner")))
    .get();
  return row?.count ?? 0;
}

/**
 * True while the membership is not an owner's, or the firm has another owner. Checked inside the write itself, so
 * two owners demoting each other at the same moment cannot both succeed and leave the firm with none.
 */
function keepsAnOwner(firmId: string): SQL {
  return or(
    ne(memberships.role, "owner"),
    sql`(select count(*) from ${memberships} as owners where owners.firm_id = ${firmId} and owners.role = 'owner') > 1`,
  )!;
}

/**
 * Sets a member's role. Returns "not_found" when the user is not a member of the firm, and "last_owner" when the
 * member is the firm's only owner and `role` is not owner.
 */
export async function setMemberRole(db: Database, firmId: string, userId: string, role: FirmRole): Promise<"updated" | "not_found" | "last_owner"> {
  const member = and(eq(memberships.firmId, firmId), eq(memberships.userId, userId));
  const updated = await db
    .update(memberships)
    .set({ role })
    .where(role === "owner" ? member : and(member, keepsAnOwner(firmId)))
    .returning({ userId: memberships.userId });
  if (updated.length > 0) return "updated";

  const exists = await db.select({ userId: memberships.userId }).from(memberships).where(member).get();
  return exists ? "last_owner" : "not_found";
}

/** Open work a member holds, read before removing them so each reassignment gets its timeline entry. */
export async function findOpenWorkOf(db: Database, firmId: string, userId: string) {
  const [openTasks, openOpportunities] = await Promise.all([
    db
      .select({ id: tasks.id, opportunityId: tasks.opportunityId, title: tasks.title })
      .from(tasks)
      .where(and(eq(tasks.firmId, firmId), eq(tasks.assigneeUserId, userId), eq(tasks.status, "open"))),
    db
      .select({ id: opportunities.id, contactId: opportunities.contactId, reference: opportunities.reference })
      .from(opportunities)
      .where(and(eq(opportunities.firmId, firmId), eq(opportunities.ownerUserId, userId), isNull(opportunities.closedAt))),
  ]);
  return { tasks: openTasks, opportunities: openOpportunities };
}

export type OpenWork = Awaited<ReturnType<typeof findOpenWorkOf>>;

export interface MemberRemoval {
  firmId: string;
  userId: string;
  /** The firm's fallback owner, who takes the open work; null leaves it unassigned. */
  reassignTo: { userId: string; name: string } | null;
  removedName: string;
  /** The open work read by findOpenWorkOf, for the timeline entries. */
  work: OpenWork;
  actorUserId: string | null;
  /** The user id or API key id that removed the member, recorded on each entry. */
  removedBy: string;
  now: Date;
}

/**
 * Removes a member from the firm in one D1 batch. Their open tasks and open opportunities go to `reassignTo`, each
 * with a timeline entry, and they leave every team. Routing rules that name them are deleted, so those enquiries
 * fall through to the next rule or the fallback owner. Fallback and escalation settings that name them are cleared.
 * Closed opportunities keep their owner, so reports still credit the person who won or lost them.
 *
 * Returns false, with nothing written, when the user is not a member or is the firm's last owner.
 * NOTE: only the membership delete is guarded against removing the last owner. If two owners remove each other at
 * the same moment, the guard keeps one of them, but that owner's open work has still been reassigned.
 */
export async function removeFirmMember(db: Database, removal: MemberRemoval): Promise<boolean> {
  const { firmId, userId, now } = removal;
  const toUserId = removal.reassignTo?.userId ?? null;
  const member = and(eq(memberships.firmId, firmId), eq(memberships.userId, userId));
  const exists = await db.select({ role: memberships.role }).from(memberships).where(and(member, keepsAnOwner(firmId))).get();
  if (!exists) return false;

  const handover = { fromUserId: userId, fromName: removal.removedName, toUserId, toName: removal.reassignTo?.name ?? null, reason: "member_removed", removedBy: removal.removedBy };
  const entries: Array<typeof activities.$inferInsert> = [
    ...removal.work.opportunities.map((opportunity) => ({
      id: `act_${opportunity.id}_owner_${now.getTime()}`,
      firmId,
      opportunityId: opportunity.id,
      contactId: opportunity.contactId,
      type: "owner.changed",
      cause: "user",
      origin: "api",
      actorUserId: removal.actorUserId,
      occurredAt: now,
      data: handover,
      createdAt: now,
    })),
    ...removal.work.tasks.map((task) => ({
      id: `act_${task.id}_reassigned_${now.getTime()}`,
      firmId,
      opportunityId: task.opportunityId,
      contactId: null,
      type: "task.reassigned",
      cause: "user",
      origin: "api",
      actorUserId: removal.actorUserId,
      occurredAt: now,
      data: { ...handover, taskId: task.id, title: task.title },
      createdAt: now,
    })),
  ];

  const statements: BatchItem<"sqlite">[] = [
    db
      .update(tasks)
      .set({ assigneeUserId: toUserId, updatedAt: now })
      .where(and(eq(tasks.firmId, firmId), eq(tasks.assigneeUserId, userId), eq(tasks.status, "open"))),
    db
      .update(opportunities)
      .set({ ownerUserId: toUserId, updatedAt: now })
      .where(and(eq(opportunities.firmId, firmId), eq(opportunities.ownerUserId, userId), isNull(opportunities.closedAt))),
    db.delete(teamMembers).where(and(eq(teamMembers.firmId, firmId), eq(teamMembers.userId, userId))),
    db.delete(routingRules).where(and(eq(routingRules.firmId, firmId), eq(routingRules.targetUserId, userId))),
    db
      .update(firms)
      .set({ fallbackOwnerUserId: null, updatedAt: now })
      .where(and(eq(firms.id, firmId), eq(firms.fallbackOwnerUserId, userId))),
    db
      .update(firms)
      .set({ escalationUserId: null, updatedAt: now })
      .where(and(eq(firms.id, firmId), eq(firms.escalationUserId, userId))),
  ];
  for (let start = 0; start < entries.length; start += ACTIVITY_ROWS_PER_INSERT) {
    statements.push(db.insert(activities).values(entries.slice(start, start + ACTIVITY_ROWS_PER_INSERT)).onConflictDoNothing());
  }
  statements.push(db.delete(memberships).where(and(member, keepsAnOwner(firmId))));

  await db.batch(statements as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
  return true;
}
