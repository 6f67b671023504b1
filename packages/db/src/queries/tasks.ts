import { and, asc, eq, lte, sql } from "drizzle-orm";
import type { Database } from "../client";
import { activities, firms, outboundMessages, tasks } from "../schema";
import { afterCursor, toPageBy, type Page } from "./pagination";
import type { ListOptions } from "./read";

export type Task = typeof tasks.$inferSelect;

/**
 * Open tasks whose next reminder is due, oldest first, with their firm's reminder settings. Not scoped to one
 * firm: the cron serves every firm. Reads through the next_reminder_at index, so cost follows the due tasks.
 */
export async function findTasksDueForReminder(db: Database, now: Date, limit: number) {
  return db
    .select({
      task: tasks,
      firm: {
        id: firms.id,
        timeZone: firms.timeZone,
        workingHours: firms.workingHours,
        closedDates: firms.closedDates,
        reminderIntervalMinutes: firms.reminderIntervalMinutes,
        remindersBeforeEscalation: firms.remindersBeforeEscalation,
        escalationUserId: firms.escalationUserId,
      },
    })
    .from(tasks)
    .innerJoin(firms, eq(firms.id, tasks.firmId))
    .where(and(lte(tasks.nextReminderAt, now), eq(tasks.status, "open")))
    .orderBy(asc(tasks.nextReminderAt))
    .limit(limit);
}

/**
 * Claims one reminder of a task: moves its next reminder on (or clears it) only if nobody else did since it was
 * read. Two cron runs racing on the same task: one UPDATE matches, the other finds nothing, so one reminder goes.
 */
export async function claimTaskReminder(db: Database, task: Task, nextReminderAt: Date | null, now: Date) {
  const row = await db
    .update(tasks)
    .set({ reminderCount: sql`${tasks.reminderCount} + 1`, nextReminderAt, updatedAt: now })
    .where(reminderUnchanged(task))
    .returning({ reminderCount: tasks.reminderCount })
    .get();
  return row ?? null;
}

/**
 * Moves a due reminder to `nextReminderAt` without sending it or counting it, guarded like claimTaskReminder so a
 * racing cron run cannot both defer and send. Returns null when another run moved the task first.
 */
export async function deferTaskReminder(db: Database, task: Task, nextReminderAt: Date, now: Date) {
  const row = await db
    .update(tasks)
    .set({ nextReminderAt, updatedAt: now })
    .where(reminderUnchanged(task))
    .returning({ id: tasks.id })
    .get();
  return row ?? null;
}

/** Matches the task only while it is open and its next reminder is still the one read, so one cron run wins. */
function reminderUnchanged(task: Task) {
  return and(eq(tasks.firmId, task.firmId), eq(tasks.id, task.id), eq(tasks.status, "open"), eq(tasks.nextReminderAt, task.nextReminderAt!));
}

export interface NewTaskNotice {
  id: string;
  firmId: string;
  kind: "task_reminder" | "task_escalation";
  opportunityId: string | null;
  recipientUserId: string;
  tasks: Array<{ taskId: string; title: string; dueAt: string; opportunityId: string | null }>;
}

/** Writes reminder and escalation messages to the outbox, already marked as queued by the caller. */
export async function insertTaskNotices(db: Database, notices: NewTaskNotice[], now: Date): Promise<void> {
  const statements = notices.map((notice) =>
    db.insert(outboundMessages).values({
      id: notice.id,
      firmId: notice.firmId,
      opportunityId: notice.opportunityId,
      kind: notice.kind,
      channel: "email",
      status: "pending",
      recipient: null,
      integrationId: null,
      data: { recipientUserId: notice.recipientUserId, tasks: notice.tasks },
      createdAt: now,
      updatedAt: now,
    }),
  );
  const [first, ...rest] = statements;
  if (first) await db.batch([first, ...rest]);
}

/** Lists the firm's tasks by due time, the id breaking ties, one page at a time. */
export async function listTasks(
  db: Database,
  firmId: string,
  options: ListOptions & { status: Task["status"]; assigneeUserId?: string | undefined; opportunityId?: string | undefined },
): Promise<Page<Task>> {
  const rows = await db
    .select()
    .from(tasks)
    .where(
      and(
        eq(tasks.firmId, firmId),
        eq(tasks.status, options.status),
        options.assigneeUserId ? eq(tasks.assigneeUserId, options.assigneeUserId) : undefined,
        options.opportunityId ? eq(tasks.opportunityId, options.opportunityId) : undefined,
        afterCursor(tasks.dueAt, tasks.id, options.cursor, "oldest_first"),
      ),
    )
    .orderBy(asc(tasks.dueAt), asc(tasks.id))
    .limit(options.limit + 1);
  return toPageBy(rows, options.limit, (task) => task.dueAt);
}

/**
 * Completes an open task and records it on the opportunity's timeline; null when not found or not open. The
 * completion and its timeline entry are two writes: a crash between them leaves the task done without its entry.
 * `completedBy` is the user id or API key id; `actorUserId` is the user id, or null for an API key.
 */
export async function completeTask(
  db: Database,
  firmId: string,
  taskId: string,
  completedBy: string,
  now: Date,
  actorUserId: string | null = null,
): Promise<Task | null> {
  const task = await db
    .update(tasks)
    .set({ status: "done", completedAt: now, nextReminderAt: null, updatedAt: now })
    .where(and(eq(tasks.firmId, firmId), eq(tasks.id, taskId), eq(tasks.status, "open")))
    .returning()
    .get();
  if (!task) return null;

  await db.insert(activities).values({
    id: `act_${task.id}_done`,
    firmId,
    opportunityId: task.opportunityId,
    contactId: null,
    type: "task.completed",
    cause: "user",
    origin: "api",
    actorUserId,
    occurredAt: now,
    data: { taskId: task.id, title: task.title, completedBy },
    createdAt: now,
  });
  return task;
}
