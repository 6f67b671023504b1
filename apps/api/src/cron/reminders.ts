import { addWorkingMinutes, createWorkingCalendar, newId } from "@plumbline/core";
import { claimTaskReminder, findTasksDueForReminder, insertTaskNotices, markMessagesQueued, type Database, type NewTaskNotice } from "@plumbline/db";
import type { AppEnv } from "../env";
import type { Logger } from "../logger";

/**
 * Tasks handled per cron run; the rest wait a minute. Each costs about one D1 query, and the whole sweep (this,
 * the stall check at about three queries per due opportunity, the re-queueing) must stay under the 1,000 queries
 * a Workers Paid invocation may make.
 */
const REMINDER_BATCH = 100;
/** More notices than this for one person in one run are folded into a single digest email. */
const DIGEST_THRESHOLD = 3;

type DueTask = Awaited<ReturnType<typeof findTasksDueForReminder>>[number];

/**
 * Sends reminders for open tasks that are due, then escalates. The assignee gets `remindersBeforeEscalation`
 * reminders, spaced by the firm's reminder interval in working time. The next one goes to the firm's escalation
 * contact instead, and after it the task gets no more notices. A completed task is never read.
 */
export async function runReminderSweep(env: AppEnv, db: Database, logger: Logger, now: Date): Promise<void> {
  const due = await findTasksDueForReminder(db, now, REMINDER_BATCH);
  if (due.length === 0) return;

  const notices = new Map<string, NewTaskNotice>();
  for (const item of due) {
    const decision = decide(item, now, logger);
    const claimed = await claimTaskReminder(db, item.task, decision.nextReminderAt, now);
    if (!claimed || !decision.recipientUserId) continue;

    const key = `${item.task.firmId}:${decision.kind}:${decision.recipientUserId}`;
    const notice = notices.get(key) ?? {
      id: newId("msg", now.getTime()),
      firmId: item.task.firmId,
      kind: decision.kind,
      opportunityId: item.task.opportunityId,
      recipientUserId: decision.recipientUserId,
      tasks: [],
    };
    notice.tasks.push({ taskId: item.task.id, title: item.task.title, dueAt: item.task.dueAt.toISOString(), opportunityId: item.task.opportunityId });
    notices.set(key, notice);
  }

  const messages = [...notices.values()].flatMap(splitUnlessBacklog);
  if (messages.length === 0) return;
  await insertTaskNotices(db, messages, now);
  for (let start = 0; start < messages.length; start += 100) {
    const chunk = messages.slice(start, start + 100);
    await env.FOLLOW_UP_QUEUE.sendBatch(chunk.map((message) => ({ body: { kind: "outbound" as const, outboundMessageId: message.id, firmId: message.firmId } })));
  }
  for (const [firmId, rows] of Map.groupBy(messages, (message) => message.firmId)) {
    await markMessagesQueued(db, firmId, rows.map((row) => row.id), now);
  }
  logger.info("reminders.sent", { tasks: due.length, messages: messages.length });
}

function decide(item: DueTask, now: Date, logger: Logger) {
  const { task, firm } = item;
  const remindersSoFar = task.reminderCount;
  const escalate = remindersSoFar >= firm.remindersBeforeEscalation;

  if (escalate) {
    return { kind: "task_escalation" as const, recipientUserId: firm.escalationUserId ?? task.assigneeUserId, nextReminderAt: null };
  }

  let nextReminderAt: Date;
  try {
    const calendar = createWorkingCalendar({ timeZone: firm.timeZone, workingHours: firm.workingHours, closedDates: firm.closedDates });
    nextReminderAt = addWorkingMinutes(now, firm.reminderIntervalMinutes, calendar);
  } catch (error) {
    logger.error("reminders.calendar_invalid", error, { firmId: firm.id });
    nextReminderAt = new Date(now.getTime() + firm.reminderIntervalMinutes * 60_000);
  }
  // An unassigned task has no assignee to remind, so its reminders go straight to the escalation contact.
  return { kind: "task_reminder" as const, recipientUserId: task.assigneeUserId ?? firm.escalationUserId, nextReminderAt };
}

/** Splits a notice into one email per task, unless the person has a backlog, which gets one digest instead. */
function splitUnlessBacklog(notice: NewTaskNotice): NewTaskNotice[] {
  if (notice.tasks.length > DIGEST_THRESHOLD) return [{ ...notice, opportunityId: null }];
  return notice.tasks.map((task, index) => ({
    ...notice,
    id: index === 0 ? notice.id : newId("msg"),
    opportunityId: task.opportunityId,
    tasks: [task],
  }));
}
